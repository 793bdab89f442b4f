/**
 * The HTTP application: helmet, request ids, pino request logs, the routes, and the error
 * middleware. Routes are thin: parse, call one use case, map the result.
 */
import { randomUUID } from 'node:crypto';
import express, { type Express, type Request, type RequestHandler } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { AccrueError } from '../../shared/errors.ts';
import { ping, type Db } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import { errorMiddleware } from './errors.ts';
import { jsonGuard } from './json-guard.ts';

export interface HttpDeps {
  db: Db;
  log: Logger;
  /** Extra routers mounted before the JSON body parser (raw-body webhooks). */
  rawRoutes?: { path: string; handler: RequestHandler | express.Router }[];
  /** Routers mounted after the JSON parser. */
  routes?: { path: string; handler: RequestHandler | express.Router }[];
}

/** Largest JSON body we accept on the JSON routes. */
const JSON_BODY_SIZE_MAX = '1mb';

export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 1);
  app.use(helmet());
  app.use(
    pinoHttp({
      logger: deps.log,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'info' : 'debug',
    }),
  );

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const ok = await ping(deps.db);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'database unavailable' });
  });

  for (const r of deps.rawRoutes ?? []) app.use(r.path, r.handler);
  app.use(express.json({ limit: JSON_BODY_SIZE_MAX }));
  app.use(jsonGuard());
  for (const r of deps.routes ?? []) app.use(r.path, r.handler);

  app.use((req: Request, _res, next) => next(new AccrueError('not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorMiddleware(deps.log));
  return app;
}
