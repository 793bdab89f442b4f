/**
 * The App API's rule list routes: `GET /rules`, `POST /rules/preview` (no write, any role: it
 * only shows what a change would do) and `PUT /rules` (administrators and developers, by their
 * signed roles). Bodies are parsed with the shared schema, so a bad rule is a 400 naming its
 * field (`rules.1.split: split percentages sum to 90, not 100`).
 */
import type { Router } from 'express';
import {
  RULE_ROUTES,
  RuleChangeRequestSchema,
  RulePreviewResponseSchema,
  RuleSaveResponseSchema,
  RulesResponseSchema,
} from '../../shared/api/rules.ts';
import type { AppService } from '../app/app-api/types.ts';
import { parseWith, route, send } from './app-routes.ts';

export function ruleRoutes(r: Router, service: AppService): void {
  r.get(
    RULE_ROUTES.rules,
    route(async (_req, res, c) => send(res, RulesResponseSchema, await service.getRules(c))),
  );
  r.post(
    RULE_ROUTES.rulesPreview,
    route(async (req, res, c) =>
      send(
        res,
        RulePreviewResponseSchema,
        await service.previewRules(c, parseWith(RuleChangeRequestSchema, req.body, 'rule change')),
      ),
    ),
  );
  r.put(
    RULE_ROUTES.rules,
    route(
      async (req, res, c) =>
        send(
          res,
          RuleSaveResponseSchema,
          await service.saveRules(c, parseWith(RuleChangeRequestSchema, req.body, 'rule change')),
        ),
      { write: true },
    ),
  );
}
