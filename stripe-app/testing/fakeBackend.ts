/**
 * Test support for the view tests: a stand-in for our backend behind `fetch` (no network; every
 * call is recorded with its headers and body), Dashboard context props, and a helper that lets
 * the remote-ui tree settle after promises resolve.
 */
import { getMockContextProps } from '@stripe/ui-extension-sdk/testing';
import type { ExtensionContextValue } from '@stripe/ui-extension-sdk/context';
import { Button, type ButtonProps } from '@stripe/ui-extension-sdk/ui';
import { vi } from 'vitest';
import type { SettingsResponse } from '../../shared/api/app.ts';
import { currency } from '../../shared/money.ts';

export const API_BASE = 'https://api.accrue.test/api/app';

export interface RecordedCall {
  method: string;
  /** Path below API_BASE, without the query string. */
  path: string;
  query: string;
  headers: Record<string, string>;
  body: unknown;
}

/** What a route answers: a JSON body (200), or an explicit status and body. */
export type FakeAnswer = { status: number; body: unknown } | { json: unknown } | Promise<never>;
export type FakeRoute = (call: RecordedCall) => FakeAnswer;

/** A JSON answer with status 200. */
export const ok = (json: unknown): FakeAnswer => ({ json });
/** An App API error answer. */
export const fail = (status: number, code: string, message: string): FakeAnswer => ({
  status,
  body: { error: { code, message } },
});
/** A request that never answers (the loading state). */
export const never = (): FakeAnswer => new Promise<never>(() => undefined);

/**
 * Replaces the global `fetch` with a router keyed by `"METHOD /path"`. Unknown routes answer
 * 404 not_found, as the real backend would. Returns the list of calls made.
 */
export function fakeBackend(routes: Record<string, FakeRoute>): { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fetchMock = vi.fn(
    async (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
      if (!url.startsWith(API_BASE)) throw new TypeError(`unexpected URL ${url}`);
      const rest = url.slice(API_BASE.length);
      const [path = '', query = ''] = rest.split('?');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
      const call: RecordedCall = {
        method: init.method ?? 'GET',
        path,
        query,
        headers,
        body: init.body ? JSON.parse(init.body) : undefined,
      };
      calls.push(call);
      const route = routes[`${call.method} ${path}`];
      const answer = route
        ? await route(call)
        : { status: 404, body: { error: { code: 'not_found', message: `no fake route ${call.method} ${path}` } } };
      if ('json' in answer)
        return new Response(JSON.stringify(answer.json), {
          status: 200,
          headers: { 'Content-Type': 'application/json' },
        });
      return new Response(JSON.stringify(answer.body), {
        status: answer.status,
        headers: { 'Content-Type': 'application/json' },
      });
    },
  );
  vi.stubGlobal('fetch', fetchMock);
  return { calls };
}

/** Dashboard context for a view: our API_BASE constant, a viewport, an object, and roles. */
export function contextFor(opts: {
  viewportID: string;
  objectId?: string;
  object?: string;
  roles?: { id?: string; name: string }[];
  mode?: 'live' | 'test';
}): ExtensionContextValue {
  const props = getMockContextProps({
    environment: {
      viewportID: opts.viewportID,
      mode: opts.mode ?? 'test',
      constants: { API_BASE },
      ...(opts.objectId ? { objectContext: { id: opts.objectId, object: opts.object ?? 'object' } } : {}),
    },
    ...(opts.roles ? { userContext: { roles: opts.roles.map((r) => ({ type: 'builtIn' as const, ...r })) } } : {}),
  } as Parameters<typeof getMockContextProps>[0]);
  return props as ExtensionContextValue;
}

export const ADMIN_ROLES = [{ id: 'admin', name: 'Administrator' }];
export const VIEW_ONLY_ROLES = [{ id: 'view_only', name: 'View only' }];

/** Lets promises resolve and the tree re-render, a few rounds (each round is one macrotask). */
export async function settle(update: () => Promise<void>, rounds = 4): Promise<void> {
  for (let i = 0; i < rounds; i++) await update();
}

type Tree = ReturnType<typeof import('@stripe/ui-extension-sdk/testing').render>['wrapper'];

/** The Button whose visible text is `label`, or null (props do not hold the label; children do). */
export function buttonLabelled(wrapper: Tree, label: string) {
  return wrapper.findWhere<ButtonProps>((node) => node.is(Button) && node.text === label);
}

/** A tenant's general settings as GET /settings answers them (version 5, USD books, the defaults). */
export const SETTINGS: SettingsResponse = {
  version: 5,
  settings: {
    functional_currency: currency('usd'),
    reporting_time_zone: 'UTC',
    amortization: 'by_time',
    catch_up: true,
    discounts_as_contra: false,
    recover_as_gains: true,
    bad_debt_as_contra: false,
    connect_revenue: 'agent',
    close_policy: { mode: 'manual', days_after_period_end: 5 },
    period_calendar: { type: 'monthly' },
    posting_mode: 'summary',
    accrue_unbilled_usage: true,
    revalue_monetary_balances: false,
    termination_credits: 'proportional',
    breakage_after_months: null,
    breakage_rate: null,
    escheat_share: '0',
  },
};
