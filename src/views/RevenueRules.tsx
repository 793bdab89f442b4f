// Entry point the Stripe CLI looks up for the `RevenueRules` view; the code lives in stripe-app/views.
export { default } from '../../stripe-app/views/RevenueRules.tsx';
