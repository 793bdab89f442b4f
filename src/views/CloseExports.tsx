// Entry point the Stripe CLI looks up for the `CloseExports` view; the code lives in stripe-app/views.
export { default } from '../../stripe-app/views/CloseExports.tsx';
