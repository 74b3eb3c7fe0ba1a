/**
 * The same route requirements hold for Cognito-federated tokens as for Keycloak's own: for each person,
 * the authorizer's decision on every route is the same whether the token comes from Keycloak directly
 * or from the user pool that federates it. Built from the real pieces: the realm definition's Cognito
 * client mappers (which roles reach the `kc_roles` claim, and with which prefix), the trigger's handler,
 * the authorizer's claims-to-principal and the shared route model.
 */
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { StageConfig } from '../../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../../common/app-config';
import { COGNITO_ROLES_ATTRIBUTE } from '../../../common/identity-context';
import { matchRoute, meetsRequirement } from '../../../common/route-model';
import { claimsToPrincipal } from '../../../lambda/authorizer/claims-to-principal';
import { handle } from '../../../lambda/pre-token-generation/index';
import { buildRealm, FEDERATION_ROLES_CLAIM } from '../../../realm/realm-definition';

const stage: StageConfig = {
  ...DEFAULT_APP_CONFIG.stages.dev,
  cognitoFederation: {
    domainPrefix: 'keygate-dev',
    keycloakClientId: 'keygate-cognito',
    clientSecretName: 'keygate/cognito-client',
    callbackUrls: ['https://app.example.com/callback'],
  },
};
const KC_ISSUER = stage.keycloak.issuer;
const API = stage.keycloak.apiClientId;

/** The `kc_roles` list Keycloak puts in the Cognito client's ID token, from that client's role mappers. */
function kcRolesClaim(realmRoles: string[], apiClientRoles: string[]): string[] {
  const client = buildRealm(stage).clients!.find((c) => c.clientId === 'keygate-cognito')!;
  const mappers = (client.protocolMappers ?? []).filter(
    (m) => m.config?.['claim.name'] === FEDERATION_ROLES_CLAIM,
  );
  const out: string[] = [];
  for (const m of mappers) {
    if (m.protocolMapper === 'oidc-usermodel-realm-role-mapper') out.push(...realmRoles);
    if (m.protocolMapper === 'oidc-usermodel-client-role-mapper') {
      expect(m.config?.['usermodel.clientRoleMapping.clientId']).toBe(API);
      const prefix = String(m.config?.['usermodel.clientRoleMapping.rolePrefix'] ?? '');
      out.push(...apiClientRoles.map((r) => `${prefix}${r}`));
    }
  }
  return out;
}

/** Ways Cognito may store a list claim in a string attribute. */
const RENDERINGS: [string, (roles: string[]) => string][] = [
  ['bracketed list', (roles) => `[${roles.join(', ')}]`],
  ['JSON array', (roles) => JSON.stringify(roles)],
];

async function cognitoAccessTokenClaims(attribute: string): Promise<Record<string, unknown>> {
  const event = {
    version: '2',
    triggerSource: 'TokenGeneration_HostedAuth',
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_AbCdEf123',
    userName: 'Keycloak_0b5c',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'people-client' },
    request: {
      userAttributes: {
        sub: '5d1e',
        identities: JSON.stringify([{ providerName: 'Keycloak', providerType: 'OIDC', userId: '0b5c' }]),
        [COGNITO_ROLES_ATTRIBUTE]: attribute,
      },
      groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [] },
      scopes: ['openid', 'email', 'profile'],
    },
    response: { claimsAndScopeOverrideDetails: {} },
  } as unknown as PreTokenGenerationV2TriggerEvent;
  const out = await handle(event, { providerName: 'Keycloak', log: () => undefined });
  return {
    sub: '5d1e',
    exp: 2_000_000_000,
    token_use: 'access',
    client_id: 'people-client',
    scope: 'openid email profile',
    username: 'Keycloak_0b5c',
    ...out.response.claimsAndScopeOverrideDetails!.accessTokenGeneration!.claimsToAddOrOverride,
  };
}

/** Every concrete request of the keycloak routes: each model id for bound paths, plus an unknown model. */
function requests(): [string, string][] {
  const ids = [...stage.models.map((m) => m.id), 'unknown-model'];
  return [
    ['GET', '/me'],
    ['GET', '/models'],
    ...ids.map((id): [string, string] => ['POST', `/models/${id}/invoke`]),
  ];
}

const PEOPLE: [string, string[], string[]][] = [
  ['alice (all model roles)', ['model-user', 'model:sentiment:invoke', 'model:keywords:invoke'], []],
  ['bob (list only)', ['model-user'], []],
  ['carol (API client roles only)', [], ['model-user', 'model:keywords:invoke']],
  ['dave (mixed)', ['model:sentiment:invoke'], ['model-user']],
  ['erin (no roles)', [], []],
];

describe('federated tokens meet the same route requirements as Keycloak tokens', () => {
  it.each(
    PEOPLE.flatMap(([who, realm, client]) =>
      RENDERINGS.map(([how, render]) => [who, how, realm, client, render] as const),
    ),
  )('%s, attribute stored as %s', async (_who, _how, realmRoles, apiRoles, render) => {
    // GIVEN the Keycloak access token and the federated Cognito access token of the same person
    const keycloak = claimsToPrincipal(
      {
        sub: 'kc-sub',
        exp: 2_000_000_000,
        azp: stage.keycloak.peopleClientId,
        realm_access: { roles: realmRoles },
        resource_access: { [API]: { roles: apiRoles } },
      },
      { kind: 'keycloak', issuer: KC_ISSUER, allowedAudiences: [API] },
      KC_ISSUER,
    );
    const cognitoClaims = await cognitoAccessTokenClaims(render(kcRolesClaim(realmRoles, apiRoles)));
    const cognito = claimsToPrincipal(
      cognitoClaims,
      {
        kind: 'cognito',
        userPoolId: 'eu-west-1_AbCdEf123',
        region: 'eu-west-1',
        allowedClients: ['people-client'],
      },
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
    );
    if (!keycloak.ok || !cognito.ok) throw new Error('claims rejected');
    // WHEN every keycloak route is decided for both
    const decide = (p: typeof keycloak.principal) =>
      requests().map(([method, path]) => {
        const m = matchRoute(stage.routes, method, path)!;
        return `${method} ${path} ${meetsRequirement(m.route.requirement, p, m.params) ? 'allow' : 'deny'}`;
      });
    // THEN the decisions are the same, and they are not trivially all-allow or all-deny across people
    expect(decide(cognito.principal)).toEqual(decide(keycloak.principal));
  });

  it('the decisions differ between people (the comparison is not vacuous)', async () => {
    const decisions = await Promise.all(
      PEOPLE.map(async ([, realmRoles, apiRoles]) => {
        const c = claimsToPrincipal(
          await cognitoAccessTokenClaims(JSON.stringify(kcRolesClaim(realmRoles, apiRoles))),
          {
            kind: 'cognito',
            userPoolId: 'eu-west-1_AbCdEf123',
            region: 'eu-west-1',
            allowedClients: ['people-client'],
          },
          'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
        );
        if (!c.ok) throw new Error('rejected');
        return requests()
          .map(([method, path]) => {
            const m = matchRoute(stage.routes, method, path)!;
            return meetsRequirement(m.route.requirement, c.principal, m.params) ? 'A' : 'D';
          })
          .join('');
      }),
    );
    // GET /me, GET /models, POST sentiment, POST keywords, POST unknown-model
    expect(decisions).toEqual(['AAAAD', 'AADDD', 'AADAD', 'AAADD', 'ADDDD']);
  });
});
