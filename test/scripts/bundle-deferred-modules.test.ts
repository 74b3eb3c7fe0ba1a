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
    ['cognito', ['cognitoIssuerVerifier', 'validateCognitoIssuer']],
    ['step-up', ['stepUpGateFor', 'validateAcrLoaMap', 'validateStepUpRoutes']],
  ])('%s: the entry exports functions only, the listed files’ among them', async (name, exported) => {
    const entry = (await import(`../../${modules[name]}`)) as Record<string, unknown>;
    expect(Object.keys(entry).sort()).toEqual(exported);
    expect(Object.values(entry).filter((v) => typeof v !== 'function')).toEqual([]);
    const listed = deferred[name];
    expect(listed).toHaveLength(1);
    const file = (await import(`../../${listed[0]}`)) as Record<string, unknown>;
    expect(Object.keys(file).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(file)) expect(entry[key]).toBe(value);
  });
});
