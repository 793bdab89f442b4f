// Entry point the Stripe CLI looks up for the `SyncStatus` view; the code lives in stripe-app/views.
export { default } from '../../stripe-app/views/SyncStatus.tsx';
