/**
 * Confirmations and failures as Dashboard toasts. A toast that cannot be shown (an old host)
 * must never turn a successful save into an error, so failures to toast are swallowed.
 */
import { showToast } from '@stripe/ui-extension-sdk/utils';

/** Confirms a finished action ("Settings saved"). */
export function confirmDone(message: string): void {
  showToast(message, { type: 'success' }).catch(() => undefined);
}

/** Reports a failed action with the backend's plain reason. */
export function reportFailure(message: string): void {
  showToast(message, { type: 'caution' }).catch(() => undefined);
}
