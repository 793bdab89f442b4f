/**
 * The App API routes of the month-end close (contract: shared/api/close.ts): periods with close
 * and reopen, reconciliation and its drill-down, the exception queue's exclude / review /
 * map-account actions, backfill progress and the exports as text. Thin like the rest of the App
 * API: parse with zod (`invalid_input` naming the field), check the write role before the body,
 * call one service method, check the answer against the contract.
 */
import type { Request, Router } from 'express';
import {
  BackfillResponseSchema,
  CLOSE_ROUTES,
  ExceptionActionResponseSchema,
  ExcludeExceptionRequestSchema,
  ExportTextQuerySchema,
  ExportTextResponseSchema,
  MapAccountRequestSchema,
  PeriodCloseRequestSchema,
  PeriodReopenRequestSchema,
  PeriodResponseSchema,
  PeriodsResponseSchema,
  ReconciliationEntriesQuerySchema,
  ReconciliationEntriesResponseSchema,
  ReconciliationQuerySchema,
  ReconciliationResponseSchema,
  ReviewExceptionRequestSchema,
} from '../../shared/api/close.ts';
import { ObjectIdSchema, PeriodKeySchema } from '../../shared/api/app.ts';
import type { AppService } from '../app/app-api/types.ts';
import { parseWith, route, send } from './app-routes.ts';

const idParam = (req: Request) => parseWith(ObjectIdSchema, req.params['id'], 'id in path');
const periodParam = (req: Request) => parseWith(PeriodKeySchema, req.params['id'], 'period in path');

/** Mounts the close's routes on the App API router. */
export function closeRoutes(r: Router, service: AppService): void {
  r.get(
    CLOSE_ROUTES.periods,
    route(async (_req, res, c) => send(res, PeriodsResponseSchema, await service.listPeriods(c))),
  );
  r.post(
    CLOSE_ROUTES.periodClose,
    route(
      async (req, res, c) => {
        parseWith(PeriodCloseRequestSchema, req.body ?? {}, 'close request');
        send(res, PeriodResponseSchema, await service.closePeriod(c, periodParam(req)));
      },
      { write: true },
    ),
  );
  r.post(
    CLOSE_ROUTES.periodReopen,
    route(
      async (req, res, c) =>
        send(
          res,
          PeriodResponseSchema,
          await service.reopenPeriod(
            c,
            periodParam(req),
            parseWith(PeriodReopenRequestSchema, req.body, 'reopen request'),
          ),
        ),
      { write: true },
    ),
  );
  r.get(
    CLOSE_ROUTES.reconciliation,
    route(async (req, res, c) =>
      send(
        res,
        ReconciliationResponseSchema,
        await service.getReconciliation(c, parseWith(ReconciliationQuerySchema, req.query, 'query')),
      ),
    ),
  );
  r.get(
    CLOSE_ROUTES.reconciliationEntries,
    route(async (req, res, c) =>
      send(
        res,
        ReconciliationEntriesResponseSchema,
        await service.getReconciliationEntries(c, parseWith(ReconciliationEntriesQuerySchema, req.query, 'query')),
      ),
    ),
  );
  exceptionActionRoutes(r, service);
  r.get(
    CLOSE_ROUTES.backfill,
    route(async (_req, res, c) => send(res, BackfillResponseSchema, await service.getBackfillProgress(c))),
  );
  r.get(
    CLOSE_ROUTES.exportText,
    route(async (req, res, c) =>
      send(
        res,
        ExportTextResponseSchema,
        await service.getExportText(c, idParam(req), parseWith(ExportTextQuerySchema, req.query, 'query')),
      ),
    ),
  );
}

function exceptionActionRoutes(r: Router, service: AppService): void {
  r.post(
    CLOSE_ROUTES.exceptionExclude,
    route(
      async (req, res, c) =>
        send(
          res,
          ExceptionActionResponseSchema,
          await service.excludeException(
            c,
            idParam(req),
            parseWith(ExcludeExceptionRequestSchema, req.body, 'exclusion'),
          ),
        ),
      { write: true },
    ),
  );
  r.post(
    CLOSE_ROUTES.exceptionReview,
    route(
      async (req, res, c) =>
        send(
          res,
          ExceptionActionResponseSchema,
          await service.reviewException(
            c,
            idParam(req),
            parseWith(ReviewExceptionRequestSchema, req.body ?? {}, 'review'),
          ),
        ),
      { write: true },
    ),
  );
  r.post(
    CLOSE_ROUTES.exceptionMapAccount,
    route(
      async (req, res, c) =>
        send(
          res,
          ExceptionActionResponseSchema,
          await service.mapExceptionAccount(c, idParam(req), parseWith(MapAccountRequestSchema, req.body, 'mapping')),
        ),
      { write: true },
    ),
  );
}
