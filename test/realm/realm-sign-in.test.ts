import { describe, expect, it } from 'vitest';
import type { BrowserSignInConfig, StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { buildRealm } from '../../realm/realm-definition';
import type { ClientRepresentation, RealmRepresentation } from '../../realm/keycloak-types';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const HTTP_URL = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
const REST_URL = 'https://def456.execute-api.eu-west-1.amazonaws.com/dev';

function withSignIn(browserSignIn: BrowserSignInConfig): StageConfig {
  return { ...dev, browserSignIn };
}

function client(realm: RealmRepresentation, clientId: string): ClientRepresentation {
  const c = realm.clients?.find((x) => x.clientId === clientId);
  if (!c) throw new Error(`no client ${clientId}`);
  return c;
}

describe('buildRealm with browser sign-in at the gateway', () => {
  it('leaves the people client as it is without sign-in', () => {
    const people = client(buildRealm(dev), 'keygate-web');
    expect(people.redirectUris).toEqual(['http://localhost:5173/*']);
    expect(people.attributes?.['post.logout.redirect.uris']).toBe('+');
  });

  it('lets the people client return to each API callback and land on each API after logout', () => {
    // GIVEN sign-in with the people client and the deployed APIs' URLs
    const realm = buildRealm(withSignIn({ publicUrls: [HTTP_URL, REST_URL] }));
    // THEN
    const people = client(realm, 'keygate-web');
    expect(people.publicClient).toBe(true);
    expect(people.redirectUris).toEqual([
      'http://localhost:5173/*',
      `${HTTP_URL}/auth/callback`,
      `${REST_URL}/auth/callback`,
    ]);
    // '+' would stand for the redirect URIs alone, so they are listed out with the landing pages.
    expect(people.attributes?.['post.logout.redirect.uris']).toBe(
      [
        'http://localhost:5173/*',
        `${HTTP_URL}/auth/callback`,
        `${REST_URL}/auth/callback`,
        `${HTTP_URL}/`,
        `${REST_URL}/`,
      ].join('##'),
    );
    expect(realm.clients?.map((c) => c.clientId)).toEqual(buildRealm(dev).clients?.map((c) => c.clientId));
  });

  it('keeps "+" when no public URL is known yet', () => {
    const people = client(buildRealm(withSignIn({})), 'keygate-web');
    expect(people.redirectUris).toEqual(['http://localhost:5173/*']);
    expect(people.attributes?.['post.logout.redirect.uris']).toBe('+');
  });

  it.each<[string, BrowserSignInConfig, boolean]>([
    [
      'confidential',
      {
        clientId: 'keygate-browser',
        clientSecretName: 'keygate/dev/browser',
        publicUrls: [HTTP_URL],
      },
      false,
    ],
    ['public', { clientId: 'keygate-browser', publicUrls: [HTTP_URL] }, true],
  ])(
    'defines a %s sign-in client of its own, with the API audience and no secret',
    (_kind, block, isPublic) => {
      // GIVEN sign-in with a client other than the people client
      const realm = buildRealm(withSignIn(block));
      // THEN
      const c = client(realm, 'keygate-browser');
      expect(c).toMatchObject({
        publicClient: isPublic,
        standardFlowEnabled: true,
        implicitFlowEnabled: false,
        directAccessGrantsEnabled: false,
        serviceAccountsEnabled: false,
        redirectUris: [`${HTTP_URL}/auth/callback`],
        webOrigins: [],
        attributes: {
          'pkce.code.challenge.method': 'S256',
          'post.logout.redirect.uris': `${HTTP_URL}/`,
        },
      });
      expect(c.clientAuthenticatorType).toBe(isPublic ? undefined : 'client-secret');
      expect(c.secret).toBeUndefined();
      // The API audience, and the sign-in's amr (the stage's step-up flow writes otp and pwd).
      expect(
        c.protocolMappers?.map((m) => [m.protocolMapper, m.config?.['included.client.audience']]),
      ).toEqual([
        ['oidc-audience-mapper', 'keygate-api'],
        ['oidc-amr-mapper', undefined],
      ]);
      // The people client is untouched.
      expect(client(realm, 'keygate-web').redirectUris).toEqual(['http://localhost:5173/*']);
    },
  );

  it('refuses a sign-in client id another client already uses, naming the field', () => {
    expect(() => buildRealm(withSignIn({ clientId: 'keygate-api' }))).toThrow(
      "browserSignIn.clientId 'keygate-api' is already used by keycloak.apiClientId",
    );
  });
});
