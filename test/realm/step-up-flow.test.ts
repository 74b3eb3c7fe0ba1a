import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { buildRealm } from '../../realm/realm-definition';
import { stepUpFlowOf, stepUpRealmParts } from '../../realm/step-up-flow';

const dev = DEFAULT_APP_CONFIG.stages.dev;

describe('the step-up flow in the realm import format', () => {
  it("writes the default stage's levels as Keycloak's step-up flow, lowest level first", () => {
    const parts = stepUpRealmParts(stepUpFlowOf(dev)!);
    expect(parts.attributes).toEqual({ 'acr.loa.map': '{"1":1,"2":2}' });
    expect(parts.browserFlow).toBe('keygate step-up');
    expect(
      parts.authenticationFlows?.map((f) => [
        f.alias,
        f.topLevel,
        f.authenticationExecutions.map((e) => [
          e.authenticator ?? e.flowAlias,
          e.requirement,
          e.priority,
          e.authenticatorConfig,
        ]),
      ]),
    ).toEqual([
      [
        'keygate step-up',
        true,
        [
          ['auth-cookie', 'ALTERNATIVE', 10, undefined],
          ['identity-provider-redirector', 'ALTERNATIVE', 20, undefined],
          ['keygate step-up forms', 'ALTERNATIVE', 30, undefined],
        ],
      ],
      [
        'keygate step-up forms',
        false,
        [
          ['keygate step-up level 1', 'CONDITIONAL', 10, undefined],
          ['keygate step-up level 2', 'CONDITIONAL', 20, undefined],
        ],
      ],
      [
        'keygate step-up level 1',
        false,
        [
          ['conditional-level-of-authentication', 'REQUIRED', 10, 'keygate-step-up-level-1'],
          ['auth-username-password-form', 'REQUIRED', 20, 'keygate-step-up-level-1-amr'],
        ],
      ],
      [
        'keygate step-up level 2',
        false,
        [
          ['conditional-level-of-authentication', 'REQUIRED', 10, 'keygate-step-up-level-2'],
          ['auth-otp-form', 'REQUIRED', 20, 'keygate-step-up-level-2-amr'],
        ],
      ],
    ]);
    expect(parts.authenticatorConfig).toEqual([
      { alias: 'keygate-step-up-level-1', config: { 'loa-condition-level': '1', 'loa-max-age': '36000' } },
      {
        alias: 'keygate-step-up-level-1-amr',
        config: { 'default.reference.value': 'pwd', 'default.reference.maxAge': '36000' },
      },
      { alias: 'keygate-step-up-level-2', config: { 'loa-condition-level': '2', 'loa-max-age': '36000' } },
      {
        alias: 'keygate-step-up-level-2-amr',
        config: { 'default.reference.value': 'otp', 'default.reference.maxAge': '36000' },
      },
    ]);
  });

  it('buildRealm carries the flow, and the AMR mapper on the people client only', () => {
    const realm = buildRealm(dev);
    expect(realm.browserFlow).toBe('keygate step-up');
    expect(realm.authenticationFlows).toHaveLength(4);
    const amr = (realm.clients ?? [])
      .filter((c) => c.protocolMappers?.some((m) => m.protocolMapper === 'oidc-amr-mapper'))
      .map((c) => c.clientId);
    expect(amr).toEqual(['keygate-web']);
  });

  it('a map without a flow sets acr.loa.map alone; a flow without amr values adds no mapper', () => {
    const mapOnly = buildRealm({ ...dev, keycloak: { ...dev.keycloak, stepUpFlow: undefined } });
    expect(mapOnly.attributes).toEqual({ 'acr.loa.map': '{"1":1,"2":2}' });
    expect(mapOnly.browserFlow).toBeUndefined();
    expect(mapOnly.authenticationFlows).toBeUndefined();
    const noAmr = buildRealm({
      ...dev,
      keycloak: {
        ...dev.keycloak,
        stepUpFlow: { levels: [{ level: 1, authenticator: 'auth-username-password-form' }] },
      },
    });
    expect(noAmr.authenticatorConfig).toHaveLength(1);
    expect(JSON.stringify(noAmr.clients)).not.toContain('oidc-amr-mapper');
    const none = buildRealm({
      ...dev,
      keycloak: { ...dev.keycloak, acrLoaMap: undefined, stepUpFlow: undefined },
    });
    expect([none.attributes, none.browserFlow]).toEqual([undefined, undefined]);
  });
});
