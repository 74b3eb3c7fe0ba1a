import { describe, expect, it, test } from 'vitest';
import type { AppRouteConfig, StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { validateStageConfig } from '../../common/app-config-validate';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const FINE_TUNE: AppRouteConfig = {
  method: 'POST',
  path: '/models/{modelId}/fine-tune',
  auth: 'keycloak',
  requirement: { anyOf: { realmRoles: ['model-user'] }, stepUp: { minLoa: 2, maxAgeSeconds: 900 } },
};

/** The default stage with a change to its realm and one more route. */
function stage(keycloak: Record<string, unknown>, route: unknown = FINE_TUNE, more: object = {}): unknown {
  return { ...dev, ...more, keycloak: { ...dev.keycloak, ...keycloak }, routes: [...dev.routes, route] };
}

describe('stage step-up configuration', () => {
  it('accepts the default stage with a route needing level 2 within 15 minutes', () => {
    // GIVEN the default realm's levels ('1', '2') WHEN a route asks for level 2 THEN no error.
    expect(validateStageConfig(stage({}), 'keygate.stages.dev')).toEqual([]);
  });

  it.each([
    [
      'a level no acr reaches',
      stage({}, { ...FINE_TUNE, requirement: { stepUp: { minLoa: 3 } } }),
      "keygate.stages.dev.routes[7] (POST /models/{modelId}/fine-tune).requirement.stepUp.minLoa: issuer https://keycloak.example.com/realms/keygate maps no acr to level 3 or above; set its acrLoaMap (Keycloak's acr.loa.map)",
    ],
    [
      'a level without any map',
      stage({ acrLoaMap: undefined, stepUpFlow: undefined }),
      "keygate.stages.dev.routes[7] (POST /models/{modelId}/fine-tune).requirement.stepUp.minLoa: issuer https://keycloak.example.com/realms/keygate declares no acrLoaMap, so no acr reaches level 2 or above; set its acrLoaMap (Keycloak's acr.loa.map)",
    ],
    [
      'an age within the cache TTL',
      stage({}, { ...FINE_TUNE, requirement: { stepUp: { maxAgeSeconds: 300 } } }),
      'keygate.stages.dev.routes[7] (POST /models/{modelId}/fine-tune).requirement.stepUp.maxAgeSeconds (300) must exceed the authorizer result cache TTL (300 s): a cached answer is replayed for up to the TTL, so the route is granted only while the sign-in stays within maxAgeSeconds for that long; lower resultCacheTtlSeconds',
    ],
    [
      'a flow level the map does not name',
      stage({
        stepUpFlow: { levels: [{ level: 3, authenticator: 'auth-otp-form' }] },
      }),
      'keygate.stages.dev.keycloak.stepUpFlow.levels[0].level 3 has no name in keycloak.acrLoaMap: Keycloak would issue the bare number as acr, which the authorizer does not know',
    ],
    [
      'a flow without a map',
      stage({ acrLoaMap: undefined }),
      'keygate.stages.dev.keycloak.stepUpFlow needs keycloak.acrLoaMap naming its levels',
    ],
    [
      'a bad authenticator id',
      stage({ stepUpFlow: { levels: [{ level: 1, authenticator: 'Auth OTP' }] } }),
      'keygate.stages.dev.keycloak.stepUpFlow.levels[0].authenticator must be a Keycloak authenticator id such as auth-otp-form',
    ],
    [
      'a level listed twice',
      stage({
        stepUpFlow: {
          levels: [
            { level: 1, authenticator: 'auth-username-password-form' },
            { level: 1, authenticator: 'auth-otp-form' },
          ],
        },
      }),
      'keygate.stages.dev.keycloak.stepUpFlow.levels[1].level 1 is listed twice',
    ],
    [
      'an unknown flow field',
      stage({ stepUpFlow: { levels: [{ level: 1, authenticator: 'auth-otp-form' }], alias: 'x' } }),
      'keygate.stages.dev.keycloak.stepUpFlow.alias is not a step-up flow field (levels, levelMaxAgeSeconds, amrMaxAgeSeconds)',
    ],
    [
      'a map level out of range',
      stage({ acrLoaMap: { '1': 1, '2': 2, x: 101 } }),
      'keygate.stages.dev.keycloak.acrLoaMap.x must be an integer level from 0 to 100',
    ],
  ])('refuses %s, naming the field', (_case, input, message) => {
    expect(validateStageConfig(input, 'keygate.stages.dev')).toEqual([message]);
  });

  test('a route scoped to the realm needs no level of the federated pool; an unscoped one does', () => {
    const federation = {
      cognitoFederation: {
        domainPrefix: 'keygate-dev',
        keycloakClientId: 'cognito',
        clientSecretName: 'keygate/cognito',
        callbackUrls: ['https://app.example.com/callback'],
      },
    };
    const scoped = {
      ...FINE_TUNE,
      requirement: { ...FINE_TUNE.requirement, issuers: [dev.keycloak.issuer] },
    };
    const errorsOf = (route: unknown) =>
      validateStageConfig(stage({}, route, federation), 'keygate.stages.dev').filter((e) =>
        e.includes('stepUp'),
      );
    expect(errorsOf(scoped)).toEqual([]);
    expect(errorsOf(FINE_TUNE)).toEqual([
      "keygate.stages.dev.routes[7] (POST /models/{modelId}/fine-tune).requirement.stepUp.minLoa: issuer cognitoFederation declares no acrLoaMap, so no acr reaches level 2 or above; set its acrLoaMap (Keycloak's acr.loa.map)",
    ]);
  });

  test('the default stage declares the realm levels its flow reaches', () => {
    const kc: StageConfig['keycloak'] = dev.keycloak;
    expect(kc.acrLoaMap).toEqual({ '1': 1, '2': 2 });
    expect(kc.stepUpFlow?.levels.map((l) => [l.level, l.authenticator, l.amr])).toEqual([
      [1, 'auth-username-password-form', 'pwd'],
      [2, 'auth-otp-form', 'otp'],
    ]);
  });
});
