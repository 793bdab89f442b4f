/**
 * The one place where failures become HTTP responses: `{error: {code, message}}` with the
 * status the code maps to (shared/errors.ts). Unknown errors are logged and answered as a 500
 * without their message, so internals never leak.
 */
import type { NextFunction, Request, Response } from 'express';
import { ZodError } from 'zod';
import { AccrueError, isAccrueError } from '../../shared/errors.ts';
import type { Logger } from '../log/logger.ts';

export function toAccrueError(err: unknown): AccrueError {
  if (isAccrueError(err)) return err;
  if (err instanceof ZodError) {
    const i = err.issues[0];
    const where = i?.path.length ? `${i.path.join('.')}: ` : '';
    return new AccrueError('invalid_input', `${where}${i?.message ?? 'invalid input'}`);
  }
  const e = err as { type?: string; status?: number; statusCode?: number; message?: string };
  if (e?.type === 'entity.parse.failed') return new AccrueError('invalid_input', 'the request body is not valid JSON');
  if (e?.type === 'entity.too.large') return new AccrueError('invalid_input', 'the request body is too large');
  return new AccrueError('internal', 'internal error');
}

export function errorMiddleware(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const e = toAccrueError(err);
    if (e.code === 'internal') log.error({ err, reqId: req.id }, 'request failed');
    else log.info({ code: e.code, reqId: req.id, msg: e.message }, 'request refused');
    if (res.headersSent) return;
    res.status(e.httpStatus).json({ error: { code: e.code, message: e.message } });
  };
}
