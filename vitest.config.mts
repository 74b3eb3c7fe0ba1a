import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-Keycloak suite needs Java and Maven: `npm run test:keycloak` (vitest.keycloak.config.mts).
    exclude: ['test/keycloak/**', '**/node_modules/**'],
    environment: 'node',
    // CDK synth and esbuild bundling are slow on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Bundle the Lambda functions once per run; the constructs deploy these prebuilt bundles.
    globalSetup: ['test/global-setup.ts'],
  },
});
