/**
 * Builders of Stripe objects in `2026-10-28.endive` shapes (field lists from the stripe@23.1.0
 * types), for tests and the sample business. Each builder fills the fields the engine reads with
 * consistent values and takes overrides for the rest; ids are passed in or drawn from one shared
 * counter (`nextId`, `resetIds`) so tests stay deterministic. The builders live in `fixtures/`:
 * documents (invoices, credit notes, invoice items), payments (charges, refunds, disputes, payouts,
 * balance transactions), connect (application fees, transfers, destination charges), catalogue
 * (customers, products, prices) and events.
 */
export { nextId, resetIds } from './fixtures/common.ts';
export * from './fixtures/documents.ts';
export * from './fixtures/payments.ts';
export * from './fixtures/catalogue.ts';
export * from './fixtures/events.ts';
export * from './fixtures/connect.ts';
