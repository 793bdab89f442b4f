/**
 * A form's writes, one at a time: which one is running (for its button's spinner) and the sentence
 * of the last failure (shown in the form and reported as a toast).
 */
import { useState } from 'react';
import type { AppApiError } from '../data/client.ts';
import { reportFailure } from './notify.ts';
import { asAppError } from './useLoad.ts';

export interface FormAction<Kind extends string> {
  /** The action running now, if any. */
  busy: Kind | null;
  /** Why the last action failed (or a form's own check refused it), until the next action starts. */
  problem: string | null;
  setProblem: (problem: string | null) => void;
  /**
   * Runs `action` as `kind`: clears the last problem first; when it throws, shows and reports
   * `failureMessage(error)`, the error's own sentence unless given.
   */
  run: (kind: Kind, action: () => Promise<void>, failureMessage?: (error: AppApiError) => string) => Promise<void>;
}

export function useAction<Kind extends string>(): FormAction<Kind> {
  const [busy, setBusy] = useState<Kind | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const run = async (
    kind: Kind,
    action: () => Promise<void>,
    failureMessage = (error: AppApiError) => error.message,
  ) => {
    setBusy(kind);
    setProblem(null);
    try {
      await action();
    } catch (err) {
      const message = failureMessage(asAppError(err));
      setProblem(message);
      reportFailure(message);
    } finally {
      setBusy(null);
    }
  };
  return { busy, problem, setProblem, run };
}
