/**
 * A QuickBooks company (realm) as the fake holds it, and the registry that owns every realm.
 * A realm owns its objects (per entity, by Id), the tombstones CDC reports for deletions, the
 * `requestid` answers it replays, its company settings, and its traffic counters.
 */
import { companyTime } from './format.ts';
import type { FakeClock, Json, RealmStats } from './types.ts';

export interface StoredObject {
  data: Json;
  updated_ms: number;
}

export interface Tombstone {
  id: string;
  deleted_ms: number;
}

export interface Realm {
  id: string;
  /** The server's clock: every timestamp the realm writes comes from it. */
  clock: FakeClock;
  /** The error code an unbalanced journal entry gets (see `FakeQboOptions.unbalancedCode`). */
  unbalancedCode: string;
  companyName: string;
  homeCurrency: string;
  multicurrency: boolean;
  bookCloseDate?: string | undefined;
  closingPassword: boolean;
  allowDuplicateDocNum: boolean;
  nextId: number;
  entities: Map<string, Map<string, StoredObject>>;
  tombstones: Map<string, Map<string, Tombstone>>;
  requestIds: Map<string, { status: number; body: Json }>;
  /** Arrival times of the requests in the last 60 seconds, oldest first. */
  window: number[];
  stats: RealmStats;
  prefsUpdated_ms: number;
}

export function newStats(): RealmStats {
  return {
    requests: 0,
    inFlight: 0,
    peakInFlight: 0,
    peakPerMinute: 0,
    throttled: 0,
    dropped: 0,
    timeouts: 0,
    injected5xx: 0,
    replays: 0,
    byOperation: {},
    minorVersions: {},
  };
}

/** The live objects of one entity (`JournalEntry`, `Account`, `Customer`…), by Id. */
export function table(realm: Realm, entity: string): Map<string, StoredObject> {
  let t = realm.entities.get(entity);
  if (!t) realm.entities.set(entity, (t = new Map()));
  return t;
}

/** The deleted objects of one entity, by Id, for CDC. */
export function tombstones(realm: Realm, entity: string): Map<string, Tombstone> {
  let t = realm.tombstones.get(entity);
  if (!t) realm.tombstones.set(entity, (t = new Map()));
  return t;
}

/** `MetaData` as QuickBooks writes it, in company time. */
export function meta(created_ms: number, updated_ms: number): Json {
  return { CreateTime: companyTime(created_ms, false), LastUpdatedTime: companyTime(updated_ms, false) };
}

/** The `time` field of a response: now, in company time, with milliseconds. */
export function responseTime(realm: { clock: FakeClock }): string {
  return companyTime(realm.clock.now_ms(), true);
}
