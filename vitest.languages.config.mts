import { defineConfig } from 'vitest/config';

// `npm run test:languages`: the tests of the packages jsii-pacmak builds for other languages. They need
// those packages built first, so `npm test` leaves them out (vitest.config.mts).
export default defineConfig({
  test: {
    include: ['test/languages/**/*.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
