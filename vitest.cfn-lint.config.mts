import { defineConfig } from 'vitest/config';

/**
 * `npm run test:cfn-lint`: synthesizes every template and runs CloudFormation's linter (cfn-lint from
 * .venv, set up by scripts/python-venv.sh) over them. Kept apart from `npm test`, which needs no Python.
 */
export default defineConfig({
  test: {
    include: ['test/cfn-lint/**/*.lint.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
  },
});
