// Entry point the Stripe CLI looks up for the `BooksApprovals` view; the code lives in stripe-app/views.
export { default } from '../../stripe-app/views/BooksApprovals.tsx';
