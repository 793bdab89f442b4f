/** The fake QuickBooks' HTTP plumbing: request bodies in, JSON (or text) answers out. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Json } from './types.ts';

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Answers with an `intuit_tid` header, as every QuickBooks response carries; a closed socket is left alone. */
export function send(
  res: ServerResponse,
  status: number,
  body: Json,
  contentType = 'application/json;charset=UTF-8',
): void {
  if (res.destroyed || res.writableEnded) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, intuit_tid: randomUUID() });
  res.end(text);
}
