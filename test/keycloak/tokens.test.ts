/**
 * Every kind of token a real Keycloak issues, through the authorizer bundle as `cdk synth` builds and
 * configures it. The access matrix of the stage (`npm run routes`) is the expectation for the callers
 * that should get in; every other kind of token is refused with its reason code.
 */
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { meetsRequirement, routeKey } from '../../common/route-model';
import { accessMatrix, stagePrincipals } from '../../local/access-matrix';
import { adminClient, keycloakServer, synthesizedConfigFor } from './keycloak-server';
import type { AuthorizerProcess, CountingProxy } from './support';
import {
  applyStage,
  clientCredentials,
  decodePayload,
  passwordGrant,
  signInWithForm,
  startAuthorizer,
  startCountingProxy,
  testStage,
} from './support';

const REALM = 'kg-tokens';
const OTHER_REALM = 'kg-tokens-other';

/** Every concrete request on the stage's Keycloak routes: bound {modelId} expanded over the models. */
function requests(
  stage: StageConfig,
): { method: string; path: string; template: string; modelId?: string }[] {
  return stage.routes
    .filter((r) => r.auth === 'keycloak')
    .flatMap((r) =>
      r.path.includes('{modelId}')
        ? stage.models.map((m) => ({
            method: r.method,
            path: r.path.replace('{modelId}', m.id),
            template: r.path,
            modelId: m.id,
          }))
        : [{ method: r.method, path: r.path, template: r.path }],
    );
}

describe('every kind of Keycloak token through the authorizer bundle', () => {
  let admin: KeycloakAdminClient;
  let proxy: CountingProxy;
  let authorizer: AuthorizerProcess;
  let stage: StageConfig;
  let issuer: string;

  beforeAll(async () => {
    const kc = keycloakServer();
    admin = await adminClient();
    proxy = await startCountingProxy(kc.url);
    stage = testStage(kc.url, REALM, `${proxy.url}/realms/${REALM}/protocol/openid-connect/certs`);
    issuer = stage.keycloak.issuer;
    await applyStage(admin, stage);
    authorizer = await startAuthorizer(synthesizedConfigFor(stage), proxy.ca);
  });
  afterAll(async () => {
    await authorizer?.stop();
    await proxy?.close();
  });

  it('gives every caller on every route exactly the decision of the access matrix', async () => {
    const kc = stage.keycloak;
    const tokens: Record<string, string> = {
      // A person: authorization code + PKCE through Keycloak's login form.
      alice: (await signInWithForm(issuer, kc.peopleClientId, 'alice')).access_token,
      // A test user: the password grant (direct access grants are on for this realm).
      bob: (await passwordGrant(issuer, kc.peopleClientId, 'bob')).access_token,
      // A service account: client credentials.
      'service-account-batch-scorer': (await clientCredentials(admin, issuer, REALM, 'batch-scorer'))
        .access_token,
    };
    const principals = stagePrincipals(stage);
    expect(principals.map((p) => p.name).sort()).toEqual(Object.keys(tokens).sort());

    // The matrix `npm run routes` prints, and the same requirement check per concrete request.
    const matrix = new Map(accessMatrix(stage).map((r) => [r.route, r.callers]));
    const got: string[] = [];
    const want: string[] = [];
    for (const p of principals) {
      for (const req of requests(stage)) {
        const route = stage.routes.find((r) => r.method === req.method && r.path === req.template)!;
        const callers = matrix.get(routeKey(route))!;
        const model = req.modelId;
        const listed =
          model === undefined
            ? callers.includes(p.name)
            : callers.some(
                (c) =>
                  c.startsWith(`${model}: `) &&
                  c
                    .slice(model.length + 2)
                    .split(', ')
                    .includes(p.name),
              );
        // The matrix and the route model agree for the expected principal.
        expect(listed).toBe(
          meetsRequirement(route.requirement, p.principal, req.modelId ? { modelId: req.modelId } : {}),
        );
        want.push(`${p.name} ${req.method} ${req.path} ${listed ? 'allow' : 'deny route_forbidden'}`);
        const d = await authorizer.decide(tokens[p.name], req.method, req.path, req.template);
        got.push(
          `${p.name} ${req.method} ${req.path} ${d.decision === 'allow' ? 'allow' : `${d.decision} ${d.reason}`}`,
        );
      }
    }
    expect(got).toEqual(want);
    // 3 callers x 6 requests (GET /me, GET /models, two models' invoke, two models' stream).
    expect(got).toHaveLength(18);
    expect(got.filter((l) => l.endsWith(' allow'))).toHaveLength(12);
    expect(proxy.count(`/realms/${REALM}/protocol/openid-connect/certs`)).toBe(1);
  });

  it('refuses the refresh, ID and offline tokens of the same sign-in', async () => {
    const kc = stage.keycloak;
    const normal = await passwordGrant(issuer, kc.peopleClientId, 'alice');
    const offline = await passwordGrant(
      issuer,
      kc.peopleClientId,
      'alice',
      undefined,
      'openid offline_access',
    );
    expect(decodePayload(normal.refresh_token!).typ).toBe('Refresh');
    expect(decodePayload(normal.id_token!).typ).toBe('ID');
    expect(decodePayload(offline.refresh_token!).typ).toBe('Offline');
    const cases = {
      refresh: normal.refresh_token!,
      id: normal.id_token!,
      offline: offline.refresh_token!,
    };
    const got: Record<string, string> = {};
    for (const [name, token] of Object.entries(cases)) {
      const d = await authorizer.decide(token, 'GET', '/me');
      got[name] = `${d.decision} ${d.reason}`;
    }
    expect(got).toEqual({
      // Keycloak signs refresh and offline tokens with the realm's HMAC key (HS512): never an allowed alg.
      refresh: 'unauthorized alg_not_allowed',
      id: 'unauthorized token_type_invalid',
      offline: 'unauthorized alg_not_allowed',
    });
  });

  it('refuses a token of a client outside the allow-list', async () => {
    await admin.clients.create({
      realm: REALM,
      clientId: 'not-allowed-app',
      publicClient: false,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
      // The API audience too, so only the client allow-list can refuse it.
      protocolMappers: [
        {
          name: 'keygate-api audience',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-audience-mapper',
          config: { 'included.client.audience': 'keygate-api', 'access.token.claim': 'true' },
        },
      ],
    });
    const token = (await clientCredentials(admin, issuer, REALM, 'not-allowed-app')).access_token;
    expect(decodePayload(token)).toMatchObject({
      azp: 'not-allowed-app',
      aud: expect.arrayContaining(['keygate-api']),
    });
    const d = await authorizer.decide(token, 'GET', '/me');
    expect(`${d.decision} ${d.reason}`).toBe('unauthorized client_not_allowed');
  });

  it('refuses a token whose only audience is account', async () => {
    const kc = stage.keycloak;
    const [people] = await admin.clients.find({ realm: REALM, clientId: kc.peopleClientId });
    const mappers = await admin.clients.listProtocolMappers({ realm: REALM, id: people.id! });
    const audience = mappers.find((m) => m.protocolMapper === 'oidc-audience-mapper')!;
    await admin.clients.delProtocolMapper({ realm: REALM, id: people.id!, mapperId: audience.id! });
    let token: string;
    try {
      token = (await passwordGrant(issuer, kc.peopleClientId, 'alice')).access_token;
    } finally {
      await admin.clients.addProtocolMapper({ realm: REALM, id: people.id! }, { ...audience, id: undefined });
    }
    expect(decodePayload(token).aud).toBe('account');
    const d = await authorizer.decide(token, 'GET', '/me');
    expect(`${d.decision} ${d.reason}`).toBe('unauthorized audience_not_allowed');
  });

  it('refuses a token of another realm on the same server', async () => {
    const other = testStage(keycloakServer().url, OTHER_REALM);
    await applyStage(admin, other);
    const token = (await passwordGrant(other.keycloak.issuer, other.keycloak.peopleClientId, 'alice'))
      .access_token;
    const d = await authorizer.decide(token, 'GET', '/me');
    expect(`${d.decision} ${d.reason}`).toBe('unauthorized issuer_untrusted');
    // Refused before anything was fetched from the other realm.
    expect(proxy.count(`/realms/${OTHER_REALM}/protocol/openid-connect/certs`)).toBe(0);
  });

  it('denies the next token of a user whose role was removed, on the routes that needed it', async () => {
    const kc = stage.keycloak;
    const before = (await passwordGrant(issuer, kc.peopleClientId, 'alice')).access_token;
    const invoke = (t: string) =>
      authorizer.decide(t, 'POST', '/models/sentiment/invoke', '/models/{modelId}/invoke');
    expect((await invoke(before)).decision).toBe('allow');

    const [user] = await admin.users.find({ realm: REALM, username: 'alice', exact: true });
    const role = await admin.roles.findOneByName({ realm: REALM, name: 'model:sentiment:invoke' });
    await admin.users.delRealmRoleMappings({
      realm: REALM,
      id: user.id!,
      roles: [{ id: role!.id!, name: role!.name! }],
    });

    const after = (await passwordGrant(issuer, kc.peopleClientId, 'alice')).access_token;
    const results = {
      invokeSentiment: `${(await invoke(after)).decision}`,
      invokeKeywords: (
        await authorizer.decide(after, 'POST', '/models/keywords/invoke', '/models/{modelId}/invoke')
      ).decision,
      models: (await authorizer.decide(after, 'GET', '/models')).decision,
    };
    expect(results).toEqual({ invokeSentiment: 'deny', invokeKeywords: 'allow', models: 'allow' });
  });
});
