import { defineConfig } from 'vitest/config';

// One run covers the backend, the pure engine and the Stripe App views. Database tests share one
// PostgreSQL (embedded, or DATABASE_URL) started in the global setup; each file gets its own database.
export default defineConfig({
  test: {
    globals: true,
    environment: 'node',
    include: [
      'test/**/*.test.ts',
      'test/**/*.test.tsx',
      'shared/**/*.test.ts',
      'backend/**/*.test.ts',
      'stripe-app/**/*.test.tsx',
    ],
    globalSetup: ['test/support/global-setup.ts'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
