/**
 * Reports over posted ledger lines (pure): trial balance, journal listing, deferred revenue
 * roll-forward, revenue waterfall, income statement, balance sheet, SaaS metrics, remaining
 * performance obligations, the revenue bridge, their formatters and the replay CSV files. Import from here; the files behind it are an implementation detail.
 */
export * from './common.ts';
export * from './csv.ts';
export * from './format.ts';
export * from './format-cockpit.ts';
export * from './journal-listing.ts';
export * from './metrics.ts';
export * from './metrics-facts.ts';
export * from './replay-csv.ts';
export * from './revenue-bridge.ts';
export * from './rollforward.ts';
export * from './rpo.ts';
export * from './statements.ts';
export * from './trial-balance.ts';
export * from './waterfall.ts';
export * from './stripe-balance.ts';
