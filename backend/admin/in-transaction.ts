/**
 * A transaction that code written for a whole database can run in: its `transaction()` joins the
 * open transaction instead of starting one (Kysely refuses nested transactions). The admin router
 * runs an action's handler on it, so the action's writes — whichever functions they go through,
 * each opening "its" transaction — commit together with the call's audit row.
 */
import type { Db, Tx } from '../db/database.ts';

export function joinTransaction(tx: Tx): Db {
  const joined = {
    execute: <T>(fn: (t: Tx) => Promise<T>): Promise<T> => fn(tx),
    setIsolationLevel: () => joined,
    setAccessMode: () => joined,
  };
  return new Proxy(tx, {
    get(target, prop) {
      if (prop === 'transaction') return () => joined;
      // Kysely keeps its state in private fields: its methods must run on the transaction itself.
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  }) as unknown as Db;
}
