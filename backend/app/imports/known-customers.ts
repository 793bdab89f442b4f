/**
 * Which Stripe customers and invoices the books know: those named by the Stripe objects they
 * hold (the backfill snapshot and the stored facts). An opening balances row naming a customer
 * none of them names, or an invoice of another customer, is refused with its line. Books that
 * know no Stripe objects yet (opening balances imported before any backfill) cannot check, and
 * accept the file's ids as they are.
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/database.ts';
import type { Tenant } from '../../ledger/tenants.ts';
import type { ImportProblems } from './csv.ts';

export interface KnownStripe {
  customers: Set<string>;
  /** The customer of each invoice the books know. */
  invoiceCustomer: Map<string, string>;
}

export async function knownStripe(tx: Tx, tenant: Tenant): Promise<KnownStripe> {
  const rows = await sql<{ invoice: string | null; customer: string }>`
    select payload->>'id' as invoice, payload->>'customer' as customer
      from backfill_objects
     where tenant_id = ${tenant.id} and object_type = 'invoice' and payload->>'customer' is not null
    union
    select fact->>'invoice' as invoice, fact->>'customer' as customer
      from stripe_facts
     where tenant_id = ${tenant.id} and fact->>'customer' is not null`.execute(tx);
  const known: KnownStripe = { customers: new Set(), invoiceCustomer: new Map() };
  for (const r of rows.rows) {
    known.customers.add(r.customer);
    if (r.invoice?.startsWith('in_')) known.invoiceCustomer.set(r.invoice, r.customer);
  }
  return known;
}

/** Names every row whose customer the books do not know, or whose invoice belongs to another customer. */
export function checkKnown(
  rows: readonly { line: number; customer: string; invoice?: string | undefined }[],
  known: KnownStripe,
  problems: ImportProblems,
): void {
  if (!known.customers.size) return;
  for (const r of rows) {
    if (!known.customers.has(r.customer)) {
      problems.add(r.line, `unknown customer ${r.customer}: no Stripe object these books hold names it`);
      continue;
    }
    const owner = r.invoice ? known.invoiceCustomer.get(r.invoice) : undefined;
    if (owner && owner !== r.customer)
      problems.add(r.line, `invoice ${r.invoice} belongs to ${owner}, not ${r.customer}`);
  }
}
