/**
 * 0006 — check "lines belong to the transaction that created their entry" once per INSERT
 * statement (over its transition table) instead of once per row, so posting many entries in one
 * statement stays cheap. The rule itself is unchanged.
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `
drop trigger journal_lines_same_transaction on journal_lines;
drop function accrue_lines_same_transaction();
create function accrue_lines_same_transaction() returns trigger language plpgsql as $$
declare bad bigint;
begin
  select n.entry_id into bad from new_lines n join journal_entries e on e.id = n.entry_id
   where e.created_txid is distinct from txid_current() limit 1;
  if bad is not null then
    raise exception 'entry % is already posted; lines cannot be added to it', bad using errcode = 'AC003';
  end if;
  return null;
end $$;
create trigger journal_lines_same_transaction after insert on journal_lines
  referencing new table as new_lines for each statement execute function accrue_lines_same_transaction();
`,
    )
    .execute(db);
}
