/**
 * The one place where failures become HTTP responses: `{error: {code, message}}` with the
 * status the code maps to (shared/errors.ts), after `toAccrueError` (backend/errors.ts) has
 * mapped whatever was thrown. Unknown errors are answered as a 500 without their message, so
 * internals never leak; the cause chain goes to the log only.
 */
import type { NextFunction, Request, Response } from 'express';
import { causeChain, errorChain, toAccrueError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';

export { toAccrueError } from '../errors.ts';

/** Seconds a client is asked to wait after a transient failure (a dropped database connection). */
const RETRY_AFTER_TRANSIENT_S = 1;

export function errorMiddleware(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const e = toAccrueError(err);
    if (e.code === 'internal') log.error({ reqId: req.id, code: e.code, errors: errorChain(err) }, 'request failed');
    else {
      log.info({ code: e.code, reqId: req.id, msg: e.message }, 'request refused');
      const causes = causeChain(e);
      if (causes.length > 0) log.debug({ code: e.code, reqId: req.id, causes }, 'request refused: cause');
    }
    if (res.headersSent) return;
    if (e.code === 'temporarily_unavailable') res.setHeader('Retry-After', String(RETRY_AFTER_TRANSIENT_S));
    res.status(e.httpStatus).json({ error: { code: e.code, message: e.message } });
  };
}
