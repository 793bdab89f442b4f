/**
 * Page state for one backend read: loading, failed (with the backend's plain message), or
 * loaded. React-17-compatible (useState/useEffect only), and safe against answers that arrive
 * after the view has moved on (a later load or an unmount wins).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { AppApiError } from '../data/client.ts';

export type LoadState<T> =
  { status: 'loading' } | { status: 'error'; error: AppApiError } | { status: 'loaded'; data: T };

/** Wraps any thrown value as an AppApiError so views always have a code and a sentence. */
export function asAppError(err: unknown): AppApiError {
  if (err instanceof AppApiError) return err;
  return new AppApiError('internal', err instanceof Error ? err.message : 'Something went wrong.', 0);
}

/**
 * Runs `loader` now and whenever `deps` change; `reload()` runs it again (after a write) and
 * `setData` replaces the loaded value with a write's answer without another round trip.
 */
export function useLoad<T>(
  loader: () => Promise<T>,
  deps: readonly unknown[],
): {
  state: LoadState<T>;
  reload: () => void;
  setData: (data: T) => void;
} {
  const [state, setState] = useState<LoadState<T>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const latest = useRef(0);
  const loaderRef = useRef(loader);
  loaderRef.current = loader;

  useEffect(() => {
    const ticket = ++latest.current;
    let alive = true;
    setState({ status: 'loading' });
    loaderRef
      .current()
      .then((data) => {
        if (alive && ticket === latest.current) setState({ status: 'loaded', data });
      })
      .catch((err: unknown) => {
        if (alive && ticket === latest.current) setState({ status: 'error', error: asAppError(err) });
      });
    return () => {
      alive = false;
    };
    // The caller names the inputs of `loader` in `deps`; the loader itself is read through a ref.
  }, [...deps, generation]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const setData = useCallback((data: T) => setState({ status: 'loaded', data }), []);
  return { state, reload, setData };
}
