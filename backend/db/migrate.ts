/**
 * Versioned, forward-only migrations with Kysely's Migrator. Migrations live in code (an
 * ordered record), run in one transaction at start and with `accrue migrate`, and are never
 * edited once landed: a change is a new migration.
 */
import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import { AccrueError } from '../../shared/errors.ts';
import type { Logger } from '../log/logger.ts';
import type { Db } from './database.ts';
import { migrations } from './migrations/index.ts';

class CodeProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

/** Applies every pending migration; returns the names applied. */
export async function migrateToLatest(db: Db, log?: Logger): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new CodeProvider(),
    migrationTableName: 'accrue_migrations',
    migrationLockTableName: 'accrue_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (applied.length) log?.info({ applied }, 'database migrated');
  if (error) {
    const failed = (results ?? []).find((r) => r.status === 'Error');
    throw new AccrueError(
      'internal',
      `migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? String(error)}`,
      undefined,
      { cause: error },
    );
  }
  return applied;
}
