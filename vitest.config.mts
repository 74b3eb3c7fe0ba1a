import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Built language packages first: `npm run test:languages` (vitest.languages.config.mts).
    exclude: [...configDefaults.exclude, 'test/languages/**'],
    environment: 'node',
    // CDK synth and esbuild bundling are slow on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Bundle the Lambda functions once per run; the constructs deploy these prebuilt bundles.
    globalSetup: ['test/global-setup.ts'],
  },
});
