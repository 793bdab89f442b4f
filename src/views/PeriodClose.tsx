// Entry point the Stripe CLI looks up for the `PeriodClose` view; the code lives in stripe-app/views.
export { default } from '../../stripe-app/views/PeriodClose.tsx';
