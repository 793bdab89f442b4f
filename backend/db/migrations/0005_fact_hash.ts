/**
 * 0005 — a content hash on stored facts, so re-reading a fact that has not changed costs one
 * comparison instead of a rewrite and a re-booking of its aggregate.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`alter table stripe_facts add column fact_hash text not null default ''`).execute(db);
}
