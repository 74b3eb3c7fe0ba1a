import { defineConfig } from 'vitest/config';

/**
 * The tests a mutation run (`npm run mutation`, stryker.config.json) runs against each mutant of the
 * authorizer's decisive code: the route model (with its reach relation and whole-table checks,
 * route-reach.ts and route-table-checks.ts), the route-template intersection, the claims-to-principal
 * step (with the claim readers and the Cognito mapping, claim-values.ts and cognito-claims.ts), the
 * response builder, the same-origin (CSRF) check, the canonical-path rule and the session cookie
 * (cookie parsing, the session envelope, the authorizer's session step).
 * KEYGATE_MUTATION_TARGET narrows the tests to those of one file group, for a run over that group alone
 * (docs/security-testing.md): `KEYGATE_MUTATION_TARGET=session npx stryker run --mutate <its files>`.
 * The property tests run with fewer generated cases per mutant (KEYGATE_PROPERTY_RUNS).
 */
const GROUPS: Record<string, readonly string[]> = {
  'route-model': [
    'test/common/route-model.test.ts',
    'test/common/route-model-edges.test.ts',
    'test/common/route-model-join.test.ts',
    'test/common/route-model-cached-check.test.ts',
    'test/common/route-table-digest.test.ts',
    'test/common/issuer-scope.test.ts',
    'test/common/policy-soundness.property.test.ts',
    'test/lambda/authorizer/build-response.test.ts',
    'test/lambda/authorizer/cache-replay.test.ts',
    'test/lambda/authorizer/policy-overlap-regressions.test.ts',
    'test/lambda/authorizer/handler-token-cookie.test.ts',
  ],
  'route-overlap': [
    'test/common/route-overlap.test.ts',
    'test/common/route-model.test.ts',
    'test/common/policy-soundness.property.test.ts',
    'test/lambda/authorizer/policy-overlap-regressions.test.ts',
  ],
  'claims-to-principal': [
    'test/lambda/authorizer/claims-to-principal.test.ts',
    'test/lambda/authorizer/claim-values.test.ts',
    'test/lambda/authorizer/cognito-claims.test.ts',
    'test/common/issuer-scope.test.ts',
  ],
  session: [
    'test/lambda/authorizer/session-cookie.test.ts',
    'test/lambda/authorizer/session-cookie-edges.test.ts',
    'test/lambda/authorizer/handler-session.test.ts',
    'test/lambda/sign-in/cookies.test.ts',
    'test/lambda/sign-in/session-envelope.test.ts',
  ],
  other: [
    'test/lambda/authorizer/build-response.test.ts',
    'test/lambda/authorizer/build-response-edges.test.ts',
    'test/common/csrf.test.ts',
    'test/common/canonical-path.test.ts',
    'test/lambda/authorizer/handler-token-cookie.test.ts',
  ],
};

const target = process.env.KEYGATE_MUTATION_TARGET;
if (target !== undefined && !(target in GROUPS))
  throw new Error(`KEYGATE_MUTATION_TARGET must be one of ${Object.keys(GROUPS).join(', ')}`);

export default defineConfig({
  test: {
    include: [...new Set(target !== undefined ? GROUPS[target] : Object.values(GROUPS).flat())],
    environment: 'node',
    testTimeout: 120_000,
    pool: 'forks',
    env: { KEYGATE_PROPERTY_RUNS: '150' },
  },
});
