/**
 * A fake reference-rate provider on 127.0.0.1 for tests and the demo: `GET /rates/{date}?base=USD`
 * answers the `json` format of `backend/rates/provider.ts` (`{ date, base, rates }`, units of each
 * currency per one base unit), `GET /csv/{date}` the `csv` format. Days without a rate answer 404,
 * like a provider asked about a day it never published. `fault` makes it misbehave the way real
 * providers do: `down` (503), `garbage` (not JSON), `zero` (a rate of 0 and a negative one beside
 * the good ones), `wrong_date` (an answer for another day); `requests` counts what it was asked.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RateFault = 'down' | 'garbage' | 'zero' | 'wrong_date' | null;

export interface FakeRates {
  url: string;
  /** Rates by date, then currency (upper case), per one base unit. */
  rates: Map<string, Record<string, string>>;
  fault: RateFault;
  requests: string[];
  close(): Promise<void>;
}

/** Starts the fake with `rates` (date → { EUR: '0.92', … } per one `base`). */
export async function startFakeRates(rates: Record<string, Record<string, string>>, base = 'USD'): Promise<FakeRates> {
  const state = { rates: new Map(Object.entries(rates)), fault: null as RateFault, requests: [] as string[] };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    state.requests.push(url.pathname);
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (state.fault === 'down') return send(503, '{"error":"maintenance"}');
    if (state.fault === 'garbage') return send(200, '<html>Service page</html>', 'text/html');
    const match = /^\/(rates|csv)\/(\d{4}-\d{2}-\d{2})$/.exec(url.pathname);
    if (!match) return send(404, '{"error":"not found"}');
    const [, format, date] = match as unknown as [string, 'rates' | 'csv', string];
    const day = state.rates.get(date);
    if (!day) return send(404, `{"error":"no rates for ${date}"}`);
    const quoted: Record<string, string> = { ...day };
    if (state.fault === 'zero') Object.assign(quoted, { CHF: '0', GBP: '-0.8' });
    const answeredDate = state.fault === 'wrong_date' ? '1999-01-01' : date;
    if (format === 'csv') {
      const rows = Object.entries(quoted).map(([code, rate]) => `${answeredDate},${base},${code},${rate}`);
      return send(200, ['date,from,to,rate', ...rows].join('\n') + '\n', 'text/csv');
    }
    const numbers = Object.fromEntries(Object.entries(quoted).map(([code, rate]) => [code, Number(rate)]));
    return send(200, JSON.stringify({ date: answeredDate, base, rates: numbers }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get rates() {
      return state.rates;
    },
    get fault() {
      return state.fault;
    },
    set fault(f: RateFault) {
      state.fault = f;
    },
    requests: state.requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
