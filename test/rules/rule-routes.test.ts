/**
 * The rule list's HTTP contract: bad rule lists are 400 `invalid_input` naming the field (two
 * rules in one position, a split that does not sum to 100%, an unknown treatment, an unknown
 * condition); saving needs a signed administrator or developer role while the preview does not;
 * good bodies reach the service with the verified caller.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import Stripe from 'stripe';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { APP_HEADERS, signedPayloadString, type SignedExtra } from '../../shared/api/app.ts';
import type { RuleChangeRequest } from '../../shared/api/rules.ts';
import { AccrueError, isAccrueError } from '../../shared/errors.ts';
import type { AppCaller, AppService } from '../../backend/app/app-api/types.ts';
import { appRouter } from '../../backend/http/app-routes.ts';

const SECRET = 'absec_test_rules';
const ADMIN: SignedExtra = { mode: 'test', stripe_roles: ['admin'] };
const VIEWER: SignedExtra = { mode: 'test', stripe_roles: ['view_only'] };

function headers(extra: SignedExtra): Record<string, string> {
  const payload = signedPayloadString(extra, 'usr_rules', 'acct_rules');
  return {
    [APP_HEADERS.signature]: Stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
    [APP_HEADERS.userId]: 'usr_rules',
    [APP_HEADERS.accountId]: 'acct_rules',
    [APP_HEADERS.signedPayload]: payload,
  };
}

const PREVIEW = { revision: 0, through: '2026-03-31', periods: [], invoices: [], invoices_total: 0 };

function makeApp() {
  const calls: { method: string; caller: AppCaller; req?: RuleChangeRequest }[] = [];
  const rules: Partial<AppService> = {
    async previewRules(caller, req) {
      calls.push({ method: 'previewRules', caller, req });
      return PREVIEW;
    },
    async saveRules(caller, req) {
      calls.push({ method: 'saveRules', caller, req });
      return { change_id: '1', revision: 1, entries_posted: 0, preview: PREVIEW };
    },
  };
  const service = new Proxy(rules, {
    get: (target, name: string) =>
      target[name as keyof AppService] ??
      (() => Promise.reject(new AccrueError('internal', `${name} is not part of this test`))),
  }) as AppService;
  const app = express();
  app.use('/api/app', appRouter(service, { auth: { secrets: [SECRET] } }));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (isAccrueError(err)) res.status(err.httpStatus).json({ error: { code: err.code, message: err.message } });
    else res.status(500).json({ error: { code: 'internal', message: 'internal error' } });
  });
  return { app, calls };
}

const ratable = { rule: 'ratable' };
const rule = (id: string, position: number, more: Record<string, unknown> = {}) => ({
  id,
  position,
  conditions: { products: ['prod_a'] },
  treatment: ratable,
  ...more,
});

describe('PUT /rules refuses bad rule lists with the field named', () => {
  const cases: [string, unknown[], RegExp][] = [
    ['two rules in one position', [rule('a', 1), rule('b', 1)], /rules\.1\.position: position 1 is also rule a's/],
    [
      'a split that sums to 90%',
      [
        rule('a', 1, {
          treatment: undefined,
          split: [
            { name: 'x', percent: '60', rule: 'ratable' },
            { name: 'y', percent: '30', rule: 'point_in_time' },
          ],
        }),
      ],
      /rules\.0\.split: split percentages sum to 90, not 100/,
    ],
    ['an unknown treatment', [rule('a', 1, { treatment: { rule: 'magic' } })], /rules\.0\.treatment\.rule/],
    ['an unknown condition', [rule('a', 1, { conditions: { colour: ['red'] } })], /rules\.0\.conditions/],
    ['both a treatment and a split', [rule('a', 1, { split: [] })], /rules\.0\.split/],
    [
      'a percentage that is not one',
      [
        rule('a', 1, {
          treatment: undefined,
          split: [
            { name: 'x', percent: '1e2', rule: 'ratable' },
            { name: 'y', percent: '0', rule: 'ratable' },
          ],
        }),
      ],
      /rules\.0\.split\.0\.percent/,
    ],
  ];
  for (const [what, rules, message] of cases) {
    it(`refuses ${what}`, async () => {
      const { app, calls } = makeApp();
      const res = await request(app).put('/api/app/rules').set(headers(ADMIN)).send({ revision: 0, rules });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_input');
      expect(res.body.error.message).toMatch(message);
      expect(calls).toHaveLength(0);
    });
  }
});

describe('rule list rights', () => {
  const body = { revision: 0, rules: [rule('a', 2), rule('b', 1)] };

  it('lets a signed administrator save, with the verified caller', async () => {
    const { app, calls } = makeApp();
    const res = await request(app).put('/api/app/rules').set(headers(ADMIN)).send(body);
    expect(res.status).toBe(200);
    expect(calls[0]!.caller.tenant.accountId).toBe('acct_rules');
    expect(calls[0]!.req!.rules.map((r) => r.position)).toEqual([2, 1]);
  });

  it('refuses a save from a role that may not edit (403) but previews for it', async () => {
    const { app, calls } = makeApp();
    const save = await request(app).put('/api/app/rules').set(headers(VIEWER)).send(body);
    expect(save.status).toBe(403);
    const preview = await request(app).post('/api/app/rules/preview').set(headers(VIEWER)).send(body);
    expect(preview.status).toBe(200);
    expect(calls.map((c) => c.method)).toEqual(['previewRules']);
  });
});
