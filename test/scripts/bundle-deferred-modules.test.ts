import { describe, expect, it } from 'vitest';
import { LAMBDA_ENTRIES } from '../../lib/internal/lambda-entries';

/**
 * In the bundle, a stub forwards each export of a deferred module's files to the module by name, calling
 * it (scripts/bundle-deferred-modules.ts): so each must be a function the module's entry exports.
 */
describe('the authorizer deferred modules', () => {
  const modules = LAMBDA_ENTRIES.authorizer.modules ?? {};
  const deferred = LAMBDA_ENTRIES.authorizer.deferred ?? {};

  it.each([
    ['cognito', ['cognitoEntitlements', 'cognitoIssuerVerifier', 'validateCognitoIssuer'], 2],
    ['config-checks', ['uncheckedConfigIssues', 'unknownFieldIssues'], 1],
    ['cookie-csrf', ['cookieRequestCsrf'], 0],
    ['route-checks', ['checkCachedPolicies', 'looselyBound', 'policySizeIssues', 'routeReach'], 2],
    [
      'step-up',
      ['stepUpGateFor', 'stepUpIssues', 'validateAcrLoaMap', 'validateStepUp', 'validateStepUpRoutes'],
      1,
    ],
  ] as const)(
    '%s: the entry exports functions only, the listed files’ among them',
    async (name, exported, files) => {
      const entry = (await import(`../../${modules[name]}`)) as Record<string, unknown>;
      expect(Object.keys(entry).sort()).toEqual(exported);
      expect(Object.values(entry).filter((v) => typeof v !== 'function')).toEqual([]);
      const listed = deferred[name];
      expect(listed).toHaveLength(files);
      for (const path of listed) {
        const file = (await import(`../../${path}`)) as Record<string, unknown>;
        expect(Object.keys(file).length).toBeGreaterThan(0);
        for (const [key, value] of Object.entries(file)) expect(entry[key]).toBe(value);
      }
    },
  );

  it('lists every deferred module above', () => {
    expect(Object.keys(deferred).sort()).toEqual([
      'cognito',
      'config-checks',
      'cookie-csrf',
      'route-checks',
      'step-up',
    ]);
  });
});
