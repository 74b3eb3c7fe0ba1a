import { describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { Principal } from '../../common/route-model';
import { matchRoute, meetsRequirement } from '../../common/route-model';
import {
  buildRealm,
  cognitoIdpResponseUrl,
  FEDERATION_ROLES_CLAIM,
  realmNameFromIssuer,
} from '../../realm/realm-definition';
import { summarizeRealm } from '../../realm/realm-summary';
import type { ClientRepresentation, RealmRepresentation } from '../../realm/keycloak-types';

const dev = DEFAULT_APP_CONFIG.stages.dev;

function stageWith(
  patch: Partial<StageConfig>,
  keycloak: Partial<StageConfig['keycloak']> = {},
): StageConfig {
  return { ...dev, ...patch, keycloak: { ...dev.keycloak, ...keycloak } };
}

function client(realm: RealmRepresentation, clientId: string): ClientRepresentation {
  const c = realm.clients?.find((x) => x.clientId === clientId);
  if (!c) throw new Error(`no client ${clientId}`);
  return c;
}

function principal(realmRoles: string[], clientRoles: string[] = []): Principal {
  return { sub: 's', realmRoles, clientRoles, scopes: [], groups: [] };
}

describe('buildRealm roles', () => {
  it('defines exactly the realm and client roles the default routes name, one per model for bound roles', () => {
    // GIVEN the embedded default stage WHEN the realm is built
    const realm = buildRealm(dev);
    // THEN
    expect(realm.realm).toBe('keygate');
    expect(realm.roles?.realm?.map((r) => r.name)).toEqual([
      'model-user',
      'model:keywords:invoke',
      'model:sentiment:invoke',
    ]);
    expect(Object.keys(realm.roles?.client ?? {})).toEqual(['keygate-api']);
    expect(realm.roles?.client?.['keygate-api'].map((r) => r.name)).toEqual([
      'model-user',
      'model:keywords:invoke',
      'model:sentiment:invoke',
    ]);
    expect(realm.roles?.realm?.[0]).toEqual({
      name: 'model-user',
      description: 'Required by GET /models',
      composite: false,
      clientRole: false,
    });
  });

  it.each(dev.models.map((m) => m.id))(
    'the realm role for model %s meets exactly that model route',
    (modelId) => {
      // GIVEN a caller holding only the realm role the realm defines for one model
      const realm = buildRealm(dev);
      const role = realm.roles!.realm!.find((r) => r.name === `model:${modelId}:invoke`)!;
      const caller = principal([role.name!]);
      // WHEN the route model decides every model's invoke route
      const decisions = dev.models.map((m) => {
        const match = matchRoute(dev.routes, 'POST', `/models/${m.id}/invoke`)!;
        return [m.id, meetsRequirement(match.route.requirement, caller, match.params)];
      });
      // THEN only its own model is allowed
      expect(Object.fromEntries(decisions)).toEqual(
        Object.fromEntries(dev.models.map((m) => [m.id, m.id === modelId])),
      );
    },
  );

  it('service-account client roles meet the client-role branch of the routes', () => {
    const summary = summarizeRealm(buildRealm(dev));
    const sa = summary.clients.find((c) => c.clientId === 'batch-scorer')!;
    const caller = principal([], [...sa.serviceAccountClientRoles]);
    const list = matchRoute(dev.routes, 'GET', '/models')!;
    const sentiment = matchRoute(dev.routes, 'POST', '/models/sentiment/invoke')!;
    const keywords = matchRoute(dev.routes, 'POST', '/models/keywords/invoke')!;
    expect(meetsRequirement(list.route.requirement, caller, list.params)).toBe(true);
    expect(meetsRequirement(sentiment.route.requirement, caller, sentiment.params)).toBe(true);
    expect(meetsRequirement(keywords.route.requirement, caller, keywords.params)).toBe(false);
  });

  it('a model added to the config adds its roles (roles follow the config, never drift)', () => {
    const stage = stageWith({ models: [...dev.models, { id: 'summarize', kind: 'demo', demo: 'keywords' }] });
    const realm = buildRealm(stage);
    expect(realm.roles?.realm?.map((r) => r.name)).toContain('model:summarize:invoke');
    expect(realm.roles?.client?.['keygate-api'].map((r) => r.name)).toContain('model:summarize:invoke');
  });

  it('routes naming another client get that client with its roles, and groups become a group tree', () => {
    const stage = stageWith({
      routes: [
        ...dev.routes,
        {
          method: 'GET',
          path: '/reports',
          auth: 'keycloak',
          requirement: { allOf: { clientRoles: ['reporting:read'], groups: ['/analytics/readers'] } },
        },
      ],
    });
    const realm = buildRealm(stage);
    expect(realm.roles?.client?.reporting?.map((r) => r.name)).toEqual(['read']);
    expect(client(realm, 'reporting').standardFlowEnabled).toBe(false);
    expect(realm.groups).toEqual([{ name: 'analytics', subGroups: [{ name: 'readers', subGroups: [] }] }]);
  });

  it('bound parameters other than modelId take their values from paramValues', () => {
    const stage = stageWith({
      routes: [
        ...dev.routes,
        {
          method: 'GET',
          path: '/tenants/{tenant}/data',
          auth: 'keycloak',
          requirement: { anyOf: { realmRoles: ['tenant:{tenant}'] } },
        },
      ],
    });
    const realm = buildRealm(stage, { paramValues: { tenant: ['acme', 'globex'] } });
    const names = realm.roles?.realm?.map((r) => r.name) ?? [];
    expect(names.filter((n) => n?.startsWith('tenant:'))).toEqual(['tenant:acme', 'tenant:globex']);
    // The bound values come in addition to the roles of the other routes, none lost.
    expect(names).toHaveLength((buildRealm(stageWith({ routes: dev.routes })).roles?.realm ?? []).length + 2);
    expect(() => buildRealm(stage)).toThrow(
      `routes[${dev.routes.length}].requirement.anyOf.realmRoles: 'tenant:{tenant}' binds {tenant}, which has no known values; give its values in paramValues.tenant`,
    );
  });
});

describe('buildRealm clients', () => {
  it('people client: public, authorization code with PKCE S256, no direct grants, configured URIs', () => {
    const web = client(buildRealm(dev), 'keygate-web');
    expect(web).toMatchObject({
      publicClient: true,
      standardFlowEnabled: true,
      implicitFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      redirectUris: ['http://localhost:5173/*'],
      webOrigins: ['http://localhost:5173'],
      attributes: { 'pkce.code.challenge.method': 'S256' },
    });
    expect(
      client(buildRealm(dev, { directAccessGrants: true }), 'keygate-web').directAccessGrantsEnabled,
    ).toBe(true);
  });

  it.each(['keygate-web', 'batch-scorer'])(
    '%s carries an audience mapper adding the API to access tokens',
    (id) => {
      const mappers = client(buildRealm(dev), id).protocolMappers ?? [];
      expect(mappers).toContainEqual({
        name: 'keygate-api-audience',
        protocol: 'openid-connect',
        protocolMapper: 'oidc-audience-mapper',
        config: {
          'included.client.audience': 'keygate-api',
          'id.token.claim': 'false',
          'access.token.claim': 'true',
          'introspection.token.claim': 'true',
        },
      });
    },
  );

  it('a custom audience uses included.custom.audience', () => {
    const realm = buildRealm(stageWith({}, { audience: 'https://api.example.com' }));
    const m = client(realm, 'keygate-web').protocolMappers!.find(
      (x) => x.protocolMapper === 'oidc-audience-mapper',
    )!;
    expect(m.config).toMatchObject({ 'included.custom.audience': 'https://api.example.com' });
    expect(m.config?.['included.client.audience']).toBeUndefined();
  });

  it('machine client: confidential with a service account holding its configured API client roles, no secret', () => {
    const realm = buildRealm(dev);
    const sa = client(realm, 'batch-scorer');
    expect(sa).toMatchObject({
      publicClient: false,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: false,
      clientAuthenticatorType: 'client-secret',
    });
    expect(sa.secret).toBeUndefined();
    expect(realm.users).toContainEqual({
      username: 'service-account-batch-scorer',
      enabled: true,
      serviceAccountClientId: 'batch-scorer',
      realmRoles: [],
      clientRoles: { 'keygate-api': ['model-user', 'model:sentiment:invoke'] },
    });
  });

  it('declares no client scopes, so Keycloak still creates its built-in ones (roles, basic) on import', () => {
    const realm = buildRealm(dev, { includeTestUsers: true });
    expect(realm.clientScopes).toBeUndefined();
    expect(realm.clients?.map((c) => [c.clientId, c.defaultClientScopes])).toEqual([
      ['keygate-api', undefined],
      ['keygate-web', undefined],
      ['batch-scorer', undefined],
    ]);
  });

  it('API client issues no tokens of its own', () => {
    expect(client(buildRealm(dev), 'keygate-api')).toMatchObject({
      publicClient: false,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: false,
      serviceAccountsEnabled: false,
      implicitFlowEnabled: false,
    });
  });

  it('Cognito federation: a confidential client redirecting to the user pool domain, roles in one flat claim', () => {
    const stage = stageWith({
      cognitoFederation: {
        domainPrefix: 'keygate-dev',
        keycloakClientId: 'cognito',
        clientSecretName: 'keygate/cognito',
        callbackUrls: ['https://app.example.com/cb'],
      },
    });
    const c = client(buildRealm(stage), 'cognito');
    expect(c.redirectUris).toEqual([cognitoIdpResponseUrl('keygate-dev', 'eu-west-1')]);
    expect(c.redirectUris).toEqual([
      'https://keygate-dev.auth.eu-west-1.amazoncognito.com/oauth2/idpresponse',
    ]);
    expect(c.publicClient).toBe(false);
    const byType = Object.fromEntries((c.protocolMappers ?? []).map((m) => [m.protocolMapper, m.config]));
    expect(byType['oidc-usermodel-realm-role-mapper']).toMatchObject({
      'claim.name': FEDERATION_ROLES_CLAIM,
      multivalued: 'true',
      'id.token.claim': 'true',
      'userinfo.token.claim': 'true',
    });
    expect(byType['oidc-usermodel-client-role-mapper']).toMatchObject({
      'claim.name': FEDERATION_ROLES_CLAIM,
      'usermodel.clientRoleMapping.clientId': 'keygate-api',
      'usermodel.clientRoleMapping.rolePrefix': 'keygate-api:',
    });
  });
});

describe('buildRealm users', () => {
  it('leaves test users out unless asked, and never invents passwords', () => {
    expect(buildRealm(dev).users?.map((u) => u.username)).toEqual(['service-account-batch-scorer']);
    const realm = buildRealm(dev, { includeTestUsers: true, testUserPasswords: { alice: 'from-env-1' } });
    const alice = realm.users!.find((u) => u.username === 'alice')!;
    const bob = realm.users!.find((u) => u.username === 'bob')!;
    expect(alice.credentials).toEqual([{ type: 'password', value: 'from-env-1', temporary: false }]);
    expect(alice.realmRoles).toEqual(['model-user', 'model:keywords:invoke', 'model:sentiment:invoke']);
    expect(bob.credentials).toBeUndefined();
    expect(bob.requiredActions).toEqual(['UPDATE_PASSWORD']);
  });

  it('summarizes users and clients in client:role notation', () => {
    const s = summarizeRealm(buildRealm(dev, { includeTestUsers: true }));
    expect(s.realm).toBe('keygate');
    expect(s.clientRoles).toContain('keygate-api:model:sentiment:invoke');
    expect(s.users.map((u) => u.username)).toEqual(['alice', 'bob']);
    expect(s.clients.map((c) => [c.clientId, c.kind])).toEqual([
      ['keygate-api', 'resource'],
      ['keygate-web', 'people'],
      ['batch-scorer', 'service-account'],
    ]);
    expect(s.clients[1]).toMatchObject({
      pkceMethod: 'S256',
      audiences: ['keygate-api'],
      publicClient: true,
    });
    expect(s.clients[2].serviceAccountClientRoles).toEqual([
      'keygate-api:model-user',
      'keygate-api:model:sentiment:invoke',
    ]);
  });
});

describe('buildRealm extension point', () => {
  it('adds upstream identity providers and their mappers as given', () => {
    const realm = buildRealm(dev, {
      identityProviders: [
        { alias: 'corp', providerId: 'oidc', enabled: true, config: { issuer: 'https://idp.example.com' } },
      ],
      identityProviderMappers: [
        {
          name: 'dept',
          identityProviderAlias: 'corp',
          identityProviderMapper: 'hardcoded-role-idp-mapper',
          config: {},
        },
      ],
    });
    expect(realm.identityProviders?.map((p) => p.alias)).toEqual(['corp']);
    expect(realm.identityProviderMappers?.map((m) => m.name)).toEqual(['dept']);
    expect(buildRealm(dev).identityProviders).toBeUndefined();
  });
});

describe('buildRealm validation', () => {
  it.each<[string, () => unknown, string]>([
    [
      'issuer without /realms/',
      () => buildRealm(stageWith({}, { issuer: 'https://kc.example.com/other' })),
      "keycloak.issuer 'https://kc.example.com/other' must end with /realms/<realm>",
    ],
    ['issuer not a URL', () => realmNameFromIssuer('nope'), "keycloak.issuer 'nope' is not a URL"],
    [
      'duplicate client ids',
      () => buildRealm(stageWith({}, { peopleClientId: 'keygate-api' })),
      "keycloak.peopleClientId 'keygate-api' is already used by keycloak.apiClientId",
    ],
    [
      'invalid client id',
      () => buildRealm(stageWith({}, { serviceAccounts: [{ clientId: 'bad id', clientRoles: [] }] })),
      "keycloak.serviceAccounts[0].clientId 'bad id' must be 1-255 of A-Z a-z 0-9 . _ ~ -",
    ],
    [
      'service account holding a role no route requires',
      () =>
        buildRealm(
          stageWith({}, { serviceAccounts: [{ clientId: 'svc', clientRoles: ['model:gpt:invoke'] }] }),
        ),
      "keycloak.serviceAccounts[0].clientRoles[0] 'model:gpt:invoke' is not a client role of keygate-api that any route requires (known: model-user, model:keywords:invoke, model:sentiment:invoke)",
    ],
    [
      'test user holding a role no route requires',
      () =>
        buildRealm(stageWith({}, { testUsers: [{ username: 'eve', realmRoles: ['admin'] }] }), {
          includeTestUsers: true,
        }),
      "keycloak.testUsers[0].realmRoles[0] 'admin' is not a realm role that any route requires (known: model-user, model:keywords:invoke, model:sentiment:invoke)",
    ],
    [
      'upper-case test user name',
      () =>
        buildRealm(stageWith({}, { testUsers: [{ username: 'Eve', realmRoles: [] }] }), {
          includeTestUsers: true,
        }),
      "keycloak.testUsers[0].username 'Eve' must be 1-255 of a-z 0-9 . _ @ - (lower case)",
    ],
    [
      'model id that makes an invalid role name',
      () => buildRealm(stageWith({ models: [{ id: 'a b', kind: 'demo' }] })),
      "routes[2].requirement.anyOf.realmRoles: 'model:a b:invoke' (from 'model:{modelId}:invoke') is not a valid name: use 1-255 of A-Z a-z 0-9 . _ ~ @ : + = -",
    ],
    [
      'no models for a bound role',
      () => buildRealm(stageWith({ models: [] })),
      "routes[2].requirement.anyOf.realmRoles: 'model:{modelId}:invoke' binds {modelId}, which has no known values; configure at least one model in models",
    ],
    [
      'identity provider mapper for an unknown alias',
      () => buildRealm(dev, { identityProviderMappers: [{ name: 'm', identityProviderAlias: 'ghost' }] }),
      "identityProviderMappers[0].identityProviderAlias 'ghost' names no identity provider",
    ],
  ])('rejects %s', (_name, act, message) => {
    expect(act).toThrow(message);
  });

  it('does not mutate the stage config', () => {
    const before = JSON.stringify(dev);
    buildRealm(dev, { includeTestUsers: true });
    expect(JSON.stringify(dev)).toBe(before);
  });
});
