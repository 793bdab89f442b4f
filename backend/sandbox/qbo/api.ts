/**
 * The accounting API's request pipeline, in QuickBooks' order: route the path
 * (`/v3/company/{realmId}/{entity}[/{id}]`), meter the request, authenticate at the gateway,
 * throttle, serve after any artificial latency, apply an injected fault, replay a known
 * `requestid` (docs/quickbooks.md §7 Idempotency and lost responses), run the route, remember
 * the answer under its `requestid`, and finally answer, drop the answer, or hang.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { REQUEST_ID_MAX_CHARS } from './limits.ts';
import { businessRule, Fault, gatewayFault, systemFault, validationFault } from './faults.ts';
import { readBody, send } from './http.ts';
import type { OAuthServer } from './oauth.ts';
import { responseTime, type Realm } from './realm.ts';
import type { RealmRegistry } from './registry.ts';
import { route } from './routes.ts';
import type { TrafficControl } from './traffic.ts';
import type { FakeClock, FaultSpec, Json } from './types.ts';

export interface ApiServices {
  clock: FakeClock;
  realms: RealmRegistry;
  oauth: OAuthServer;
  traffic: TrafficControl;
  ignoreRequestIds: boolean;
}

interface Target {
  realmId: string;
  entitySeg: string;
  idSeg: string | undefined;
  method: 'GET' | 'POST';
  opParam: string | null;
  /** What the request does, for fault matching and per-operation counts. */
  operation: 'query' | 'read' | 'create' | 'update' | 'delete';
}

function parseTarget(req: IncomingMessage, url: URL): Target | undefined {
  const m = /^\/v3\/company\/([^/]+)\/([^/]+)(?:\/([^/]+))?\/?$/.exec(url.pathname);
  if (!m) return undefined;
  const entitySeg = m[2]!.toLowerCase();
  const method = req.method === 'POST' ? 'POST' : 'GET';
  const opParam = url.searchParams.get('operation');
  const operation =
    entitySeg === 'query' || entitySeg === 'cdc' || entitySeg === 'batch'
      ? 'query'
      : method === 'GET'
        ? 'read'
        : opParam === 'update'
          ? 'update'
          : opParam === 'delete'
            ? 'delete'
            : 'create';
  return { realmId: decodeURIComponent(m[1]!), entitySeg, idSeg: m[3], method, opParam, operation };
}

/** Authentication at the gateway (lowercase bodies, epoch-ms time); the realm when the token may use it. */
function authorize(
  services: ApiServices,
  req: IncomingMessage,
  res: ServerResponse,
  target: Target,
  realm: Realm | undefined,
): Realm | undefined {
  const tokenRealm = services.oauth.authenticate(req.headers.authorization ?? '');
  if (tokenRealm === undefined) {
    send(res, 401, {
      ...gatewayFault(401, '3200', 'AuthenticationFailed', 'Token expired or invalid', 'AUTHENTICATION'),
      time: services.clock.now_ms(),
    });
    return undefined;
  }
  if (!realm || tokenRealm !== target.realmId) {
    send(res, 403, {
      ...gatewayFault(403, '3100', 'ApplicationAuthorizationFailed', 'Token not valid for this company', 'SERVICE'),
      time: services.clock.now_ms(),
    });
    return undefined;
  }
  return realm;
}

/** Applies an injected fault that answers before any work; true when the request is finished. */
function failsBeforeWork(
  traffic: TrafficControl,
  realm: Realm,
  res: ServerResponse,
  injected: FaultSpec | undefined,
): boolean {
  if (injected?.kind === 'status' || injected?.kind === 'outage') {
    realm.stats.injected5xx++;
    const body = systemFault(
      'An application error has occurred while processing your request',
      'System Failure Error: injected',
    );
    send(res, injected.status ?? 503, { ...body, time: responseTime(realm) });
    return true;
  }
  if (injected?.kind === 'throttle') {
    traffic.sendThrottled(realm, res);
    return true;
  }
  if (injected?.kind === 'timeout' && !injected.commit) {
    traffic.hangUp(realm, res, injected.hang_ms);
    return true;
  }
  return false;
}

/** A write that repeats a known `requestid` gets the first answer again; true when answered here. */
function answeredByRequestId(services: ApiServices, realm: Realm, res: ServerResponse, requestId: string): boolean {
  if (requestId.length > REQUEST_ID_MAX_CHARS) {
    send(res, 400, {
      ...businessRule('You cannot enter more than 50 characters in the request_id field').body,
      time: responseTime(realm),
    });
    return true;
  }
  const prior = services.ignoreRequestIds ? undefined : realm.requestIds.get(requestId);
  if (!prior) return false;
  realm.stats.replays++;
  send(res, prior.status, prior.body);
  return true;
}

/** Runs the route; a Fault becomes the answer's status and body. */
function execute(realm: Realm, target: Target, bodyText: string, url: URL): { status: number; out: Json } {
  try {
    let body: Json = undefined;
    if (target.method === 'POST' && target.entitySeg !== 'query') {
      try {
        body = bodyText ? JSON.parse(bodyText) : {};
      } catch {
        throw validationFault('2010', 'Request has invalid or unsupported property', 'Body is not JSON');
      }
    }
    const allowDup = url.searchParams.get('include') === 'allowduplicatedocnum';
    const { method, entitySeg, idSeg, opParam: op } = target;
    return { status: 200, out: route(realm, { method, entitySeg, idSeg, op, body, bodyText, url, allowDup }) };
  } catch (e) {
    if (!(e instanceof Fault)) throw e;
    return { status: e.status, out: { ...e.body, time: responseTime(realm) } };
  }
}

export async function handleApi(
  services: ApiServices,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const { traffic } = services;
  const target = parseTarget(req, url);
  if (!target) return send(res, 404, systemFault('Not found', `No route ${url.pathname}`, '404'));
  const known = services.realms.find(target.realmId);
  if (known) traffic.meter(known, target.entitySeg, target.operation, url, res);
  const realm = authorize(services, req, res, target, known);
  if (!realm) return;
  if (traffic.overLimit(realm)) return traffic.sendThrottled(realm, res);

  const bodyText = target.method === 'POST' ? await readBody(req) : '';
  await traffic.serviceTime();
  const injected = traffic.takeFault(target.realmId, target.method, target.entitySeg, target.operation);
  if (failsBeforeWork(traffic, realm, res, injected)) return;

  const isWrite = target.method === 'POST' && target.operation !== 'query';
  const requestId = url.searchParams.get('requestid');
  if (isWrite && requestId !== null && answeredByRequestId(services, realm, res, requestId)) return;

  const { status, out } = execute(realm, target, bodyText, url);
  if (isWrite && requestId !== null && !services.ignoreRequestIds)
    realm.requestIds.set(requestId, { status, body: out });
  if (traffic.dropsResponse(target.realmId, injected, isWrite, status)) {
    // The write is committed; the client never hears about it.
    realm.stats.dropped++;
    res.socket?.destroy();
    return;
  }
  if (injected?.kind === 'timeout' && injected.commit) return traffic.hangUp(realm, res, injected.hang_ms);
  send(res, status, out);
}
