/**
 * The claims Cognito federation reads, from the real server: the ID token Keycloak issues to the user
 * pool's client (the realm definition's `kc_roles` mappers), passed into the pre-token-generation
 * trigger as Cognito passes the mapped attribute, gives the `keygate_roles` claim from which the
 * authorizer derives the same roles as from the user's own Keycloak access token.
 * Cognito renders an array claim mapped into a custom string attribute as `[a, b]`:
 * https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-specifying-attribute-mapping.html
 */
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { DEFAULT_ROUTES } from '../../common/app-config';
import { COGNITO_ROLES_ATTRIBUTE, COGNITO_ROLES_CLAIM } from '../../common/identity-context';
import { meetsRequirement } from '../../common/route-model';
import { claimsToPrincipal } from '../../lambda/authorizer/claims-to-principal';
import { handle } from '../../lambda/pre-token-generation/index';
import { cognitoIdpResponseUrl, FEDERATION_ROLES_CLAIM } from '../../realm/realm-definition';
import event from '../lambda/pre-token-generation/fixtures/hosted-auth-v2.json';
import { scopedToBothIssuers } from './import-realms';
import { adminClient, keycloakServer } from './keycloak-server';
import {
  applyStage,
  decodePayload,
  FormAgent,
  parseForm,
  passwordGrant,
  TEST_PASSWORD,
  testStage,
} from './support';

const REALM = 'kg-federation';
const PROVIDER = 'Keycloak';

describe('the claims Cognito federation reads, from a real Keycloak ID token', () => {
  let admin: KeycloakAdminClient;
  let stage: StageConfig;

  beforeAll(async () => {
    admin = await adminClient();
    const base = testStage(keycloakServer().url, REALM);
    stage = scopedToBothIssuers({
      ...base,
      cognitoFederation: {
        domainPrefix: 'keygate-kc-test',
        keycloakClientId: 'keygate-cognito',
        clientSecretName: 'keygate/cognito',
        callbackUrls: ['https://app.example.com/callback'],
      },
    });
    await applyStage(admin, stage);
  });

  it('gives keygate_roles that the authorizer reads as the user’s Keycloak roles', async () => {
    const issuer = stage.keycloak.issuer;
    const fed = stage.cognitoFederation!;
    const redirectUri = cognitoIdpResponseUrl(fed.domainPrefix, stage.region);
    // Cognito's side of the sign-in: authorization code at the federation client, Keycloak's login form.
    const agent = new FormAgent();
    const q = new URLSearchParams({
      client_id: fed.keycloakClientId,
      response_type: 'code',
      scope: 'openid email profile',
      redirect_uri: redirectUri,
      state: 'cognito-state',
    });
    const page = await agent.go(`${issuer}/protocol/openid-connect/auth?${q}`, {}, redirectUri);
    expect(parseForm(page.html!, page.url).fields).toHaveProperty('username');
    const back = await agent.submit(
      page.html!,
      page.url,
      { username: 'alice', password: TEST_PASSWORD },
      redirectUri,
    );
    const code = new URL(back.url).searchParams.get('code')!;
    const [client] = await admin.clients.find({ realm: REALM, clientId: fed.keycloakClientId });
    const secret = (await admin.clients.getClientSecret({ realm: REALM, id: client.id! })).value!;
    const res = await fetch(`${issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: fed.keycloakClientId,
        client_secret: secret,
      }).toString(),
    });
    expect(res.status).toBe(200);
    const idToken = decodePayload(((await res.json()) as { id_token: string }).id_token);
    const kcRoles = idToken[FEDERATION_ROLES_CLAIM] as string[];
    expect(Array.isArray(kcRoles)).toBe(true);

    // What the user's own Keycloak access token says (realm roles, and the API's client roles).
    const access = decodePayload(
      (await passwordGrant(issuer, stage.keycloak.peopleClientId, 'alice')).access_token,
    );
    const realmRoles = (access.realm_access as { roles: string[] }).roles;
    const apiRoles = (
      (access.resource_access as Record<string, { roles: string[] }> | undefined)?.['keygate-api']?.roles ??
      []
    ).map((r) => `keygate-api:${r}`);
    expect([...kcRoles].sort()).toEqual([...realmRoles, ...apiRoles].sort());

    // Cognito maps the claim into the custom attribute as text; the trigger turns it into keygate_roles.
    const trigger = structuredClone(event) as unknown as PreTokenGenerationV2TriggerEvent;
    trigger.request.userAttributes[COGNITO_ROLES_ATTRIBUTE] = `[${kcRoles.join(', ')}]`;
    const out = await handle(trigger, { providerName: PROVIDER, log: () => {} });
    const claims = out.response.claimsAndScopeOverrideDetails!.accessTokenGeneration!.claimsToAddOrOverride!;
    const keygateRoles = claims[COGNITO_ROLES_CLAIM] as unknown as string[];
    expect([...keygateRoles].sort()).toEqual([...kcRoles].sort());

    // The authorizer's view of a Cognito access token carrying that claim, against the stage's routes.
    const principal = claimsToPrincipal(
      {
        sub: 'f2b6c1d4',
        client_id: 'app',
        token_use: 'access',
        scope: 'openid',
        [COGNITO_ROLES_CLAIM]: keygateRoles,
      },
      { kind: 'cognito', userPoolId: 'eu-west-1_AbCdEf123', region: 'eu-west-1', allowedClients: ['app'] },
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
    );
    if (!principal.ok) throw new Error(`claimsToPrincipal refused the claims: ${principal.reason}`);
    const p = principal.principal;
    expect(p.realmRoles).toEqual(
      expect.arrayContaining(['model-user', 'model:sentiment:invoke', 'model:keywords:invoke']),
    );
    // The default routes, unscoped: the question here is which roles the claim carries, not which issuer.
    const decisions = DEFAULT_ROUTES.filter((r) => r.auth === 'keycloak').flatMap((r) =>
      (r.path.includes('{modelId}') ? stage.models.map((m) => m.id) : [undefined]).map(
        (modelId) =>
          `${r.method} ${modelId ? r.path.replace('{modelId}', modelId) : r.path} ${meetsRequirement(
            r.requirement,
            p,
            modelId ? { modelId } : {},
          )}`,
      ),
    );
    expect(decisions).toEqual([
      'GET /me true',
      'GET /models true',
      'POST /models/sentiment/invoke true',
      'POST /models/keywords/invoke true',
      'POST /models/sentiment/stream true',
      'POST /models/keywords/stream true',
    ]);
  });
});
