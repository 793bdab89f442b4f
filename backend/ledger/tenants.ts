/**
 * Tenants: one Stripe account in one mode, `(stripe_account_id, livemode)`, with its settings.
 * Settings changes are versioned: every version is kept with who made it and when.
 */
import { sql } from 'kysely';
import { AccrueError } from '../../shared/errors.ts';
import { TenantSettingsSchema, type TenantSettings, type TenantSettingsInput } from '../../shared/settings.ts';
import type { Db, Tx } from '../db/database.ts';

export interface Tenant {
  id: bigint;
  accountId: string;
  livemode: boolean;
  status: 'active' | 'disabled';
  settings: TenantSettings;
  settingsVersion: number;
}

export interface TenantRef {
  accountId: string;
  livemode: boolean;
}

type Row = {
  id: bigint;
  stripe_account_id: string;
  livemode: boolean;
  status: 'active' | 'disabled';
  settings: unknown;
  settings_version: number;
};

function toTenant(r: Row): Tenant {
  return {
    id: r.id,
    accountId: r.stripe_account_id,
    livemode: r.livemode,
    status: r.status,
    settings: TenantSettingsSchema.parse(r.settings),
    settingsVersion: r.settings_version,
  };
}

const COLUMNS = ['id', 'stripe_account_id', 'livemode', 'status', 'settings', 'settings_version'] as const;

/**
 * Longest Stripe account id accepted, `acct_` included. Stripe documents its object ids as at most
 * 255 characters (today's account ids are about 21).
 */
export const ACCOUNT_ID_LENGTH_MAX = 255;

/** Validates an account id the way Stripe writes them: a string, `acct_` and letters or digits, at most ACCOUNT_ID_LENGTH_MAX long. */
export function checkAccountId(accountId: unknown): string {
  if (typeof accountId !== 'string')
    throw new AccrueError(
      'invalid_input',
      `a Stripe account id must be a string (acct_…), not ${Array.isArray(accountId) ? 'an array' : typeof accountId}`,
    );
  if (accountId.length > ACCOUNT_ID_LENGTH_MAX)
    throw new AccrueError(
      'invalid_input',
      `"${accountId.slice(0, 20)}…" is not a Stripe account id: longer than ${ACCOUNT_ID_LENGTH_MAX} characters`,
    );
  if (!/^acct_[A-Za-z0-9]+$/.test(accountId))
    throw new AccrueError('invalid_input', `"${accountId}" is not a Stripe account id (acct_…)`);
  return accountId;
}

/** Returns the tenant, creating it with `settings` (or defaults) when it does not exist yet. */
export async function ensureTenant(
  db: Db | Tx,
  ref: TenantRef,
  settings?: TenantSettingsInput,
  actor = 'system',
): Promise<Tenant> {
  checkAccountId(ref.accountId);
  const existing = await findTenant(db, ref);
  if (existing) return existing;
  const parsed = TenantSettingsSchema.parse(settings ?? {});
  const json = JSON.stringify(parsed);
  const inserted = await db
    .insertInto('tenants')
    .values({ stripe_account_id: ref.accountId, livemode: ref.livemode, settings: json, disabled_at: null })
    .onConflict((oc) => oc.columns(['stripe_account_id', 'livemode']).doNothing())
    .returning(COLUMNS)
    .executeTakeFirst();
  if (inserted) {
    await db
      .insertInto('tenant_settings_history')
      .values({ tenant_id: inserted.id, version: 1, settings: json, changed_by: actor })
      .execute();
    return toTenant(inserted as Row);
  }
  const raced = await findTenant(db, ref);
  if (!raced) throw new AccrueError('internal', 'tenant vanished after a concurrent insert');
  return raced;
}

/** One key per tenant ref, for maps of tenants. */
export const tenantRefKey = (r: TenantRef) => `${r.accountId}|${r.livemode ? 'live' : 'test'}`;

/** What the webhook path needs of a tenant: no settings (parsing them costs more than the lookup). */
export type TenantHead = Pick<Tenant, 'id' | 'accountId' | 'livemode' | 'status'>;

/** `ensureTenant` for many refs at once (one query finds those that exist), keyed by `tenantRefKey`. */
export async function ensureTenants(db: Db | Tx, refs: readonly TenantRef[]): Promise<Map<string, TenantHead>> {
  const wanted = new Map(refs.map((r) => [tenantRefKey(r), r]));
  for (const r of wanted.values()) checkAccountId(r.accountId);
  const found = await db
    .selectFrom('tenants')
    .select(['id', 'stripe_account_id', 'livemode', 'status'])
    .where((eb) =>
      eb.or(
        [...wanted.values()].map((r) =>
          eb.and([eb('stripe_account_id', '=', r.accountId), eb('livemode', '=', r.livemode)]),
        ),
      ),
    )
    .execute();
  const tenants = new Map<string, TenantHead>(
    found.map((r) => [
      tenantRefKey({ accountId: r.stripe_account_id, livemode: r.livemode }),
      { id: r.id, accountId: r.stripe_account_id, livemode: r.livemode, status: r.status },
    ]),
  );
  const missing = [...wanted].filter(([k]) => !tenants.has(k)).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [k, r] of missing) tenants.set(k, await ensureTenant(db, r));
  return tenants;
}

export async function findTenant(db: Db | Tx, ref: TenantRef): Promise<Tenant | null> {
  const r = await db
    .selectFrom('tenants')
    .select(COLUMNS)
    .where('stripe_account_id', '=', ref.accountId)
    .where('livemode', '=', ref.livemode)
    .executeTakeFirst();
  return r ? toTenant(r as Row) : null;
}

export async function getTenant(db: Db | Tx, ref: TenantRef): Promise<Tenant> {
  const t = await findTenant(db, ref);
  if (!t) throw new AccrueError('not_found', `no books for ${ref.accountId} (${ref.livemode ? 'live' : 'test'} mode)`);
  return t;
}

export async function getTenantById(db: Db | Tx, id: bigint): Promise<Tenant> {
  const r = await db.selectFrom('tenants').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  if (!r) throw new AccrueError('not_found', `no tenant ${id}`);
  return toTenant(r as Row);
}

/**
 * Replaces a tenant's settings. `expectedVersion` guards against lost updates: a stale version is
 * a `conflict`. Returns the tenant with its new version; the old version stays in the history.
 */
export async function updateSettings(
  db: Db,
  tenantId: bigint,
  next: TenantSettingsInput,
  expectedVersion: number,
  actor: string,
): Promise<Tenant> {
  const parsed = TenantSettingsSchema.parse(next);
  const json = JSON.stringify(parsed);
  return db.transaction().execute(async (tx) => {
    const cur = await tx
      .selectFrom('tenants')
      .select(['settings_version'])
      .where('id', '=', tenantId)
      .forUpdate()
      .executeTakeFirst();
    if (!cur) throw new AccrueError('not_found', `no tenant ${tenantId}`);
    if (cur.settings_version !== expectedVersion) {
      throw new AccrueError(
        'conflict',
        `settings changed since version ${expectedVersion} (now ${cur.settings_version}); reload and try again`,
      );
    }
    const version = expectedVersion + 1;
    await tx
      .updateTable('tenants')
      .set({ settings: json, settings_version: version })
      .where('id', '=', tenantId)
      .execute();
    await tx
      .insertInto('tenant_settings_history')
      .values({ tenant_id: tenantId, version, settings: json, changed_by: actor })
      .execute();
    return getTenantById(tx, tenantId);
  });
}

/**
 * Changes some settings inside the caller's transaction (e.g. the cutover date an import sets),
 * as a new settings version with its history row. Returns the tenant as it now is.
 */
export async function changeSettingsIn(
  tx: Tx,
  tenantId: bigint,
  change: Partial<TenantSettings>,
  actor: string,
): Promise<Tenant> {
  const cur = await tx
    .selectFrom('tenants')
    .select(['settings', 'settings_version'])
    .where('id', '=', tenantId)
    .forUpdate()
    .executeTakeFirst();
  if (!cur) throw new AccrueError('not_found', `no tenant ${tenantId}`);
  const base = (typeof cur.settings === 'string' ? JSON.parse(cur.settings) : cur.settings) as TenantSettingsInput;
  const json = JSON.stringify(TenantSettingsSchema.parse({ ...base, ...change }));
  const version = cur.settings_version + 1;
  await tx
    .updateTable('tenants')
    .set({ settings: json, settings_version: version })
    .where('id', '=', tenantId)
    .execute();
  await tx
    .insertInto('tenant_settings_history')
    .values({ tenant_id: tenantId, version, settings: json, changed_by: actor })
    .execute();
  return getTenantById(tx, tenantId);
}

export async function settingsHistory(db: Db, tenantId: bigint) {
  return db
    .selectFrom('tenant_settings_history')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('version', 'desc')
    .execute();
}

/** Stops all work for a tenant; the books stay. */
export async function setTenantStatus(db: Db | Tx, tenantId: bigint, status: 'active' | 'disabled'): Promise<void> {
  await db
    .updateTable('tenants')
    .set({ status, disabled_at: status === 'disabled' ? sql<Date>`now()` : null })
    .where('id', '=', tenantId)
    .execute();
}
