/**
 * Traffic control for the fake's API: the request meter (per-realm counts, peak concurrency, peak
 * requests in any 60-second window), throttling at QuickBooks' limits (docs/quickbooks.md §6 Limits
 * and throttling), artificial latency, and fault injection (docs/quickbooks.md §5, §7): injected
 * statuses and throttles, hangs with or without the write committed, and responses dropped after
 * the write committed, on demand or at a seeded random rate. It owns the throttle settings, the
 * latency, the fault queues, the drop rates and the hang timers; the counters it keeps live on
 * each realm (`Realm.stats`, `Realm.window`) so a test can read them per company.
 */
import type { ServerResponse } from 'node:http';
import { QBO_MAX_CONCURRENT, QBO_REQUESTS_PER_MINUTE } from './limits.ts';
import { gatewayFault } from './faults.ts';
import { send } from './http.ts';
import type { Realm } from './realm.ts';
import type { FakeClock, FakeQboOptions, FaultSpec, ThrottleSettings } from './types.ts';

/** QuickBooks' XML throttle body, which some gateways send instead of JSON. */
const THROTTLE_XML =
  '<?xml version="1.0"?><IntuitResponse><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message><Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>';

export class TrafficControl {
  readonly #throttle: Required<ThrottleSettings>;
  #latency_ms: number;
  readonly #faults = new Map<string, FaultSpec[]>();
  readonly #dropRates = new Map<string, number>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly clock: FakeClock,
    options: FakeQboOptions,
    /** The server's seeded generator (shared with realm ids), so a seed replays the same drops. */
    private readonly rng: () => number,
  ) {
    this.#throttle = {
      enabled: options.throttle?.enabled ?? true,
      perMinute: options.throttle?.perMinute ?? QBO_REQUESTS_PER_MINUTE,
      concurrent: options.throttle?.concurrent ?? QBO_MAX_CONCURRENT,
      xmlBody: options.throttle?.xmlBody ?? false,
    };
    this.#latency_ms = options.latency_ms ?? 0;
  }

  setThrottle(settings: ThrottleSettings): void {
    Object.assign(this.#throttle, Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)));
  }

  setLatency(ms: number): void {
    this.#latency_ms = ms;
  }

  injectFault(realmId: string, fault: FaultSpec): void {
    const list = this.#faults.get(realmId) ?? [];
    list.push(fault);
    this.#faults.set(realmId, list);
  }

  setDropRate(realmId: string, rate: number): void {
    this.#dropRates.set(realmId, rate);
  }

  /**
   * Counts a request against its realm before anything else: every request that reaches QuickBooks
   * counts against its limits, throttled or not. The in-flight count drops when the response closes.
   */
  meter(realm: Realm, entitySeg: string, operation: string, url: URL, res: ServerResponse): void {
    const st = realm.stats;
    const now = this.clock.now_ms();
    st.requests++;
    st.byOperation[`${entitySeg}.${operation}`] = (st.byOperation[`${entitySeg}.${operation}`] ?? 0) + 1;
    const mv = url.searchParams.get('minorversion') ?? 'none';
    st.minorVersions[mv] = (st.minorVersions[mv] ?? 0) + 1;
    st.inFlight++;
    st.peakInFlight = Math.max(st.peakInFlight, st.inFlight);
    realm.window.push(now);
    while (realm.window.length > 0 && realm.window[0]! <= now - 60_000) realm.window.shift();
    st.peakPerMinute = Math.max(st.peakPerMinute, realm.window.length);
    res.on('close', () => {
      st.inFlight--;
    });
  }

  /** True when the realm is over its concurrency or per-minute limit (and throttling is on). */
  overLimit(realm: Realm): boolean {
    const t = this.#throttle;
    return t.enabled && (realm.stats.inFlight > t.concurrent || realm.window.length > t.perMinute);
  }

  /** Answers 429 the way the gateway does. */
  sendThrottled(realm: Realm, res: ServerResponse): void {
    realm.stats.throttled++;
    if (this.#throttle.xmlBody) send(res, 429, THROTTLE_XML, 'application/xml');
    else
      send(res, 429, {
        ...gatewayFault(429, '3001', 'ThrottleExceeded', 'The request limit was reached.  Try again later', 'SERVICE'),
        time: this.clock.now_ms(),
      });
  }

  async serviceTime(): Promise<void> {
    if (this.#latency_ms > 0) await new Promise((r) => setTimeout(r, this.#latency_ms));
  }

  /**
   * The first injected fault matching the request, consumed once (its `times` counts down); an
   * outage is not consumed but lasts until its end by the fake's clock, then is dropped.
   */
  takeFault(realmId: string, method: string, entity: string, operation: string): FaultSpec | undefined {
    const list = this.#faults.get(realmId);
    if (!list) return undefined;
    const now = this.clock.now_ms();
    for (let i = list.length - 1; i >= 0; i--) {
      const f = list[i]!;
      if (f.kind === 'outage' && f.until_ms <= now) list.splice(i, 1);
    }
    const idx = list.findIndex((f) => {
      const m = f.match ?? {};
      return (
        (!m.method || m.method === method) &&
        (!m.entity || m.entity === entity) &&
        (!m.operation || m.operation === operation)
      );
    });
    if (idx < 0) return undefined;
    const f = list[idx]!;
    if (f.kind === 'outage') return f;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) list.splice(idx, 1);
    else list[idx] = { ...f, times: left };
    return f;
  }

  /** Never answers: the socket is destroyed after `ms`, as a client timeout would see it. */
  hangUp(realm: Realm, res: ServerResponse, ms: number): void {
    realm.stats.timeouts++;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      res.socket?.destroy();
    }, ms);
    this.#timers.add(t);
  }

  /** Whether to drop a committed write's response: injected, or drawn at the realm's drop rate. */
  dropsResponse(realmId: string, injected: FaultSpec | undefined, isWrite: boolean, status: number): boolean {
    const dropRate = this.#dropRates.get(realmId) ?? 0;
    return (
      injected?.kind === 'drop_after_commit' || (isWrite && status === 200 && dropRate > 0 && this.rng() < dropRate)
    );
  }

  close(): void {
    for (const t of this.#timers) clearTimeout(t);
  }
}
