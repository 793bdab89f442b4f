/** The registry that owns every realm of one fake server, and creates them with a starting chart. */
import { createAccount, DEFAULT_CHART } from './accounts.ts';
import { newStats, type Realm } from './realm.ts';
import type { CreateRealmOptions, FakeClock } from './types.ts';

/** Owns the realms of one fake server. */
export class RealmRegistry {
  readonly #realms = new Map<string, Realm>();

  constructor(
    private readonly clock: FakeClock,
    private readonly unbalancedCode: string,
    /** The server's seeded generator, shared with fault injection so a seed replays a whole run. */
    private readonly rng: () => number,
  ) {}

  create(opts: CreateRealmOptions = {}): string {
    // Real realm ids are 16-19 digit strings; build one as text (too large for an exact JS number).
    const id =
      opts.realmId ??
      `9130${String(this.#realms.size + 1).padStart(6, '0')}${String(Math.floor(this.rng() * 1e6)).padStart(6, '0')}`;
    if (this.#realms.has(id)) throw new Error(`fake QBO: realm ${id} exists`);
    const realm: Realm = {
      id,
      clock: this.clock,
      unbalancedCode: this.unbalancedCode,
      companyName: opts.companyName ?? `Company ${id}`,
      homeCurrency: (opts.homeCurrency ?? 'USD').toUpperCase(),
      multicurrency: opts.multicurrency ?? false,
      closingPassword: false,
      allowDuplicateDocNum: false,
      nextId: 1,
      entities: new Map(),
      tombstones: new Map(),
      requestIds: new Map(),
      window: [],
      stats: newStats(),
      prefsUpdated_ms: this.clock.now_ms(),
    };
    this.#realms.set(id, realm);
    for (const a of opts.accounts ?? DEFAULT_CHART) createAccount(realm, a);
    return id;
  }

  /** The realm, or undefined (an API request for an unknown company). */
  find(realmId: string): Realm | undefined {
    return this.#realms.get(realmId);
  }

  /** The realm; a control call naming an unknown one is a test bug. */
  get(realmId: string): Realm {
    const r = this.#realms.get(realmId);
    if (!r) throw new Error(`fake QBO: no realm ${realmId}`);
    return r;
  }

  /** The first realm created, which the authorize stub grants unless told otherwise. */
  first(): string | undefined {
    return [...this.#realms.keys()][0];
  }
}
