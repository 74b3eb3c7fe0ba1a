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
    // Line and branch coverage of the functions and the shared contracts, on in CI (`.ci/run` sets CI=true)
    // or with `npm test -- --coverage`: a drop below the thresholds (the measured level less half a point)
    // fails the run. See docs/security-testing.md, "Coverage gate".
    coverage: {
      enabled: process.env.CI === 'true',
      provider: 'v8',
      include: ['lambda/**/*.ts', 'common/**/*.ts'],
      exclude: ['test/**'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: {
        'lambda/**/*.ts': { lines: 96.5, branches: 91.5 },
        'common/**/*.ts': { lines: 88.9, branches: 88.5 },
      },
    },
  },
});
