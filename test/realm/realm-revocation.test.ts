import { describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { validateStageConfig } from '../../common/app-config-validate';
import { buildRealm } from '../../realm/realm-definition';
import type { ClientRepresentation } from '../../realm/keycloak-types';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const API = 'https://abc123.execute-api.eu-west-1.amazonaws.com';

function clients(stage: StageConfig): Record<string, ClientRepresentation> {
  return Object.fromEntries((buildRealm(stage).clients ?? []).map((c) => [c.clientId, c]));
}

describe('realm definition with revocation', () => {
  it('registers the back-channel logout URL, with sid, on the people client only; front-channel off', () => {
    const c = clients({ ...dev, revocation: { publicUrl: API } });
    const people = c[dev.keycloak.peopleClientId]!;
    expect(people.attributes?.['backchannel.logout.url']).toBe(`${API}/auth/backchannel-logout`);
    expect(people.attributes?.['backchannel.logout.session.required']).toBe('true');
    expect(people.frontchannelLogout).toBe(false);
    const others = Object.values(c).filter((x) => x.clientId !== dev.keycloak.peopleClientId);
    expect(others.length).toBeGreaterThan(0);
    for (const o of others) expect(o.attributes?.['backchannel.logout.url']).toBeUndefined();
  });

  it('registers it on a separate browser sign-in client too', () => {
    const c = clients({
      ...dev,
      browserSignIn: { clientId: 'keygate-gateway', publicUrls: [API] },
      authorizer: { cacheTtlSeconds: 0 },
      revocation: { publicUrl: API },
    });
    expect(c['keygate-gateway']!.attributes?.['backchannel.logout.url']).toBe(
      `${API}/auth/backchannel-logout`,
    );
    expect(c[dev.keycloak.peopleClientId]!.attributes?.['backchannel.logout.url']).toBe(
      `${API}/auth/backchannel-logout`,
    );
  });

  it('leaves the clients as they were without a publicUrl', () => {
    const people = clients({ ...dev, revocation: {} })[dev.keycloak.peopleClientId]!;
    expect(people.attributes?.['backchannel.logout.url']).toBeUndefined();
    expect(people.frontchannelLogout).toBeUndefined();
  });

  it.each([
    [{ boundSeconds: 30 }, {}, []],
    [
      { boundSeconds: 10 },
      { cacheTtlSeconds: 300 },
      [
        's.revocation.boundSeconds (10) is below authorizer.cacheTtlSeconds (300): lower the cache TTL or leave it out (it then defaults to the bound)',
      ],
    ],
    [
      { publicUrl: 'http://abc.example' },
      {},
      ['s.revocation.publicUrl must be an https URL without a trailing slash'],
    ],
    [
      { boundSeconds: 0, extra: 1 },
      {},
      ['s.revocation.boundSeconds must be an integer from 1 to 300', 's.revocation.extra is not a field'],
    ],
  ])('stage revocation %j with authorizer %j: %j', (revocation, authorizer, errors) => {
    expect(validateStageConfig({ ...dev, authorizer, revocation }, 's')).toEqual(errors);
  });
});
