import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Suites with their own commands: the real-Keycloak suite needs Java and Maven (`npm run test:keycloak`),
    // the other languages need their packages built first (`npm run test:languages`).
    exclude: [...configDefaults.exclude, 'test/keycloak/**', 'test/languages/**'],
    environment: 'node',
    // CDK synth and esbuild bundling are slow on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Bundle the Lambda functions once per run; the constructs deploy these prebuilt bundles.
    globalSetup: ['test/global-setup.ts'],
  },
});
