/**
 * The QuickBooks connection as the UI sees it: the current status, and the connect flow —
 * ask our backend for the Intuit sign-in URL, let the merchant open it in a new tab, then poll
 * our backend until the connection is made (or fails, or we give up).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { QboConnectResponse, QboStatusResponse } from '../../shared/api/app.ts';
import type { AppClient } from '../data/client.ts';
import { asAppError, useLoad, type LoadState } from './useLoad.ts';
import { confirmDone, reportFailure } from './notify.ts';

/** Time between status polls while the merchant signs in to Intuit. */
export const QBO_POLL_INTERVAL_MS = 3_000;
/** Polls before giving up: 100 × 3 s = 5 minutes, longer than Intuit's sign-in normally takes. */
export const QBO_POLL_ATTEMPTS_MAX = 100;

export interface QboConnection {
  status: LoadState<QboStatusResponse>;
  /** Set once the backend has issued a sign-in URL; the view shows it as a link button. */
  authorization: QboConnectResponse | null;
  /** True while we wait for the merchant to finish signing in. */
  polling: boolean;
  busy: boolean;
  /** A plain sentence about the last failed action, if any. */
  failure: string | null;
  requestAuthorization(): Promise<void>;
  startPolling(): void;
  disconnect(): Promise<void>;
  reload(): void;
}

export function useQboConnection(client: AppClient, opts: { pollInterval_ms?: number } = {}): QboConnection {
  const { state: status, reload, setData } = useLoad(() => client.getQboStatus(), [client]);
  const [authorization, setAuthorization] = useState<QboConnectResponse | null>(null);
  const [polling, setPolling] = useState(false);
  /** Bumped after each unanswered poll to arm the next one. */
  const [pollTick, setPollTick] = useState(0);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const attempts = useRef(0);
  const interval = opts.pollInterval_ms ?? QBO_POLL_INTERVAL_MS;

  const requestAuthorization = useCallback(async () => {
    setBusy(true);
    setFailure(null);
    try {
      setAuthorization(await client.startQboConnect());
    } catch (err) {
      const e = asAppError(err);
      setFailure(e.message);
      reportFailure(e.message);
    } finally {
      setBusy(false);
    }
  }, [client]);

  const startPolling = useCallback(() => {
    attempts.current = 0;
    setPolling(true);
  }, []);

  useEffect(() => {
    if (!polling) return undefined;
    let alive = true;
    const timer = setTimeout(() => {
      attempts.current += 1;
      client
        .getQboStatus()
        .then((s) => {
          if (!alive) return;
          setData(s);
          if (s.status === 'connected') {
            setPolling(false);
            setAuthorization(null);
            confirmDone(`Connected to QuickBooks${s.company_name ? ` (${s.company_name})` : ''}.`);
          } else if (s.status === 'error') {
            setPolling(false);
            setFailure(s.message ?? 'QuickBooks refused the connection.');
          } else if (attempts.current >= QBO_POLL_ATTEMPTS_MAX) {
            setPolling(false);
            setFailure('We did not hear back from QuickBooks. Open the sign-in page again to retry.');
          } else {
            setPollTick((t) => t + 1);
          }
        })
        .catch((err: unknown) => {
          if (!alive) return;
          setPolling(false);
          setFailure(asAppError(err).message);
        });
    }, interval);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [polling, pollTick, client, interval, setData]);

  const disconnect = useCallback(async () => {
    setBusy(true);
    setFailure(null);
    try {
      setData(await client.disconnectQbo());
      confirmDone('Disconnected from QuickBooks. Nothing will be posted until you reconnect.');
    } catch (err) {
      const e = asAppError(err);
      setFailure(e.message);
      reportFailure(e.message);
    } finally {
      setBusy(false);
    }
  }, [client, setData]);

  return { status, authorization, polling, busy, failure, requestAuthorization, startPolling, disconnect, reload };
}
