import { defineConfig } from 'vitest/config';

/**
 * The tests a mutation run (`npm run mutation`, stryker.config.json) runs against each mutant of the
 * authorizer's decisive code: the route model, the claims-to-principal step, the response builder, the
 * same-origin (CSRF) check and the canonical-path rule.
 * The property tests run with fewer generated cases per mutant (KEYGATE_PROPERTY_RUNS).
 */
export default defineConfig({
  test: {
    include: [
      'test/common/route-model.test.ts',
      'test/common/route-overlap.test.ts',
      'test/common/policy-soundness.property.test.ts',
      'test/lambda/authorizer/build-response.test.ts',
      'test/lambda/authorizer/claims-to-principal.test.ts',
      'test/lambda/authorizer/cache-replay.test.ts',
      'test/lambda/authorizer/policy-overlap-regressions.test.ts',
      'test/common/csrf.test.ts',
      'test/common/canonical-path.test.ts',
      'test/lambda/authorizer/handler-token-cookie.test.ts',
    ],
    environment: 'node',
    testTimeout: 120_000,
    pool: 'forks',
    env: { KEYGATE_PROPERTY_RUNS: '150' },
  },
});
