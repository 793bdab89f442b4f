/**
 * The loading, empty and error states every view shows, so they look and read the same
 * everywhere. An error always says what went wrong in the backend's own words and offers a retry.
 */
import { Banner, Box, Button, Spinner } from '@stripe/ui-extension-sdk/ui';
import type { AppApiError } from '../data/client.ts';

export function Loading({ label }: { label: string }) {
  return (
    <Box css={{ stack: 'x', gap: 'small', alignY: 'center', padding: 'medium' }}>
      <Spinner size="small" />
      <Box>{label}</Box>
    </Box>
  );
}

export function Empty({ message }: { message: string }) {
  return <Box css={{ padding: 'medium', color: 'secondary' }}>{message}</Box>;
}

/** A critical banner with the failure's message; `onRetry` adds a Retry button. */
export function ErrorBanner({ title, error, onRetry }: { title: string; error: AppApiError; onRetry?: () => void }) {
  return (
    <Banner
      type="critical"
      title={title}
      description={error.message}
      actions={onRetry ? <Button onPress={onRetry}>Retry</Button> : undefined}
    />
  );
}
