/**
 * Brokering on the real server: a second realm plays the upstream identity provider. The realm
 * definition's OpenID Connect broker (realm/identity-providers.ts) and its group-to-role mappers bring an
 * upstream user into Keygate's realm with the mapped roles, through Keycloak's own forms over HTTP, and
 * the authorizer bundle allows exactly the routes those roles grant.
 */
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { meetsRequirement } from '../../common/route-model';
import { brokeringOptions, oidcIdentityProvider, UpstreamSecret } from '../../realm/identity-providers';
import { adminClient, keycloakServer, synthesizedConfigFor } from './keycloak-server';
import type { AuthorizerProcess, CountingProxy } from './support';
import {
  applyStage,
  authorizeUrl,
  decodePayload,
  exchangeCode,
  FormAgent,
  pkce,
  REDIRECT_URI,
  startAuthorizer,
  startCountingProxy,
  testStage,
} from './support';

const UPSTREAM = 'kg-upstream';
const REALM = 'kg-broker';
const ALIAS = 'upstream';
const UPSTREAM_SECRET = 'upstream-client-secret-1';
const CAROL_PASSWORD = 'Carol-upstream-password-1';

/** The upstream realm: a confidential client for the broker that puts group names into `groups`. */
async function createUpstream(admin: KeycloakAdminClient, url: string): Promise<void> {
  await admin.realms.create({ realm: UPSTREAM, enabled: true });
  await admin.clients.create({
    realm: UPSTREAM,
    clientId: 'keygate-broker',
    publicClient: false,
    secret: UPSTREAM_SECRET,
    standardFlowEnabled: true,
    directAccessGrantsEnabled: false,
    redirectUris: [`${url}/realms/${REALM}/broker/${ALIAS}/endpoint`],
    protocolMappers: [
      {
        name: 'groups',
        protocol: 'openid-connect',
        protocolMapper: 'oidc-group-membership-mapper',
        config: {
          'claim.name': 'groups',
          'full.path': 'false',
          'id.token.claim': 'true',
          'access.token.claim': 'true',
          'userinfo.token.claim': 'true',
        },
      },
    ],
  });
  const groups: Record<string, string> = {};
  for (const name of ['ml-users', 'sentiment-team', 'unmapped-team']) {
    groups[name] = (await admin.groups.create({ realm: UPSTREAM, name })).id;
  }
  const { id } = await admin.users.create({
    realm: UPSTREAM,
    username: 'carol',
    enabled: true,
    email: 'carol@upstream.test',
    emailVerified: true,
    firstName: 'Carol',
    lastName: 'Upstream',
    credentials: [{ type: 'password', value: CAROL_PASSWORD, temporary: false }],
  });
  for (const g of ['ml-users', 'sentiment-team', 'unmapped-team']) {
    await admin.users.addToGroup({ realm: UPSTREAM, id, groupId: groups[g] });
  }
}

describe('brokering an upstream realm on the same server', () => {
  let admin: KeycloakAdminClient;
  let proxy: CountingProxy;
  let authorizer: AuthorizerProcess;
  let stage: StageConfig;

  beforeAll(async () => {
    const kc = keycloakServer();
    admin = await adminClient();
    proxy = await startCountingProxy(kc.url);
    await createUpstream(admin, kc.url);
    stage = testStage(kc.url, REALM, `${proxy.url}/realms/${REALM}/protocol/openid-connect/certs`);

    // The broker as the realm definition writes it. Its URL checks accept https only, so it is built
    // for https on the same host and port and then pointed at the dev server's http listener.
    const upstream = `${kc.url.replace(/^http:/, 'https:')}/realms/${UPSTREAM}`;
    const broker = oidcIdentityProvider({
      alias: ALIAS,
      issuer: upstream,
      authorizationUrl: `${upstream}/protocol/openid-connect/auth`,
      tokenUrl: `${upstream}/protocol/openid-connect/token`,
      jwksUrl: `${upstream}/protocol/openid-connect/certs`,
      userInfoUrl: `${upstream}/protocol/openid-connect/userinfo`,
      clientId: 'keygate-broker',
      clientSecret: UpstreamSecret.vault('upstream-secret'),
      groupRoles: [
        { upstream: 'ml-users', realmRole: 'model-user' },
        { upstream: 'sentiment-team', realmRole: 'model:sentiment:invoke' },
      ],
    });
    const config = Object.fromEntries(
      Object.entries(broker.provider.config ?? {}).map(([k, v]) => [
        k,
        typeof v === 'string' && v.startsWith(upstream) ? v.replace(/^https:/, 'http:') : v,
      ]),
    );
    await applyStage(
      admin,
      stage,
      brokeringOptions([{ ...broker, provider: { ...broker.provider, config } }]),
    );
    // The dev server has no vault: the test hands the broker its upstream secret through the admin API.
    const idp = await admin.identityProviders.findOne({ realm: REALM, alias: ALIAS });
    await admin.identityProviders.update(
      { realm: REALM, alias: ALIAS },
      { ...idp, config: { ...idp!.config, clientSecret: UPSTREAM_SECRET } },
    );
    authorizer = await startAuthorizer(synthesizedConfigFor(stage), proxy.ca);
  });
  afterAll(async () => {
    await authorizer?.stop();
    await proxy?.close();
  });

  it('brings an upstream user in with the mapped roles, and the authorizer allows exactly their routes', async () => {
    const issuer = stage.keycloak.issuer;
    const client = stage.keycloak.peopleClientId;
    const agent = new FormAgent();
    const { verifier, challenge } = pkce();
    const state = 'broker-state-1';
    // kc_idp_hint sends the browser straight to the upstream realm's login form.
    let step = await agent.go(
      authorizeUrl(issuer, client, challenge, state, { kc_idp_hint: ALIAS }),
      {},
      REDIRECT_URI,
    );
    expect(step.url).toContain(`/realms/${UPSTREAM}/`);
    step = await agent.submit(
      step.html!,
      step.url,
      { username: 'carol', password: CAROL_PASSWORD },
      REDIRECT_URI,
    );
    // First broker login may ask to review the profile once; the upstream profile is complete.
    for (let i = 0; step.html !== undefined && i < 2; i++)
      step = await agent.submit(step.html, step.url, {}, REDIRECT_URI);
    expect(step.html).toBeUndefined();
    const tokens = await exchangeCode(issuer, client, step.url, state, verifier);

    const claims = decodePayload(tokens.access_token);
    const realmRoles = (claims.realm_access as { roles: string[] }).roles;
    expect(realmRoles).toEqual(expect.arrayContaining(['model-user', 'model:sentiment:invoke']));
    expect(realmRoles).not.toContain('model:keywords:invoke');
    expect(claims).toMatchObject({ iss: issuer, azp: client, preferred_username: 'carol' });

    const principal = { sub: 'carol', realmRoles, clientRoles: [], scopes: [], groups: [] };
    const got: string[] = [];
    const want: string[] = [];
    for (const r of stage.routes.filter((x) => x.auth === 'keycloak')) {
      const models = r.path.includes('{modelId}') ? stage.models.map((m) => m.id) : [undefined];
      for (const modelId of models) {
        const p = modelId ? r.path.replace('{modelId}', modelId) : r.path;
        const expected = meetsRequirement(r.requirement, principal, modelId ? { modelId } : {});
        want.push(`${r.method} ${p} ${expected ? 'allow' : 'deny'}`);
        got.push(
          `${r.method} ${p} ${(await authorizer.decide(tokens.access_token, r.method, p, r.path)).decision}`,
        );
      }
    }
    expect(got).toEqual(want);
    expect(got).toEqual([
      'GET /me allow',
      'GET /models allow',
      'POST /models/sentiment/invoke allow',
      'POST /models/keywords/invoke deny',
      'POST /models/sentiment/stream allow',
      'POST /models/keywords/stream deny',
    ]);
  });
});
