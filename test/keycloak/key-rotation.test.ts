/**
 * Key rotation on a real Keycloak, through its admin API: a new RSA key provider with a higher priority
 * signs the next tokens; a warm authorizer (the bundle as deployed) accepts the new kid after exactly one
 * JWKS refetch, a moment after its previous fetch; old tokens keep working while their key is published
 * and are refused once it is gone and the JWKS has been refetched.
 * https://www.keycloak.org/docs/latest/server_admin/#rotating-keys
 */
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../common/authorizer-config';
import { generateSigningKey } from '../support/keys';
import { keycloakAccessToken } from '../support/tokens';
import { adminClient, keycloakServer, synthesizedConfigFor } from './keycloak-server';
import type { AuthorizerProcess, CountingProxy } from './support';
import {
  applyStage,
  decodeHeader,
  passwordGrant,
  startAuthorizer,
  startCountingProxy,
  testStage,
} from './support';

const REALM = 'kg-rotation';
const CERTS = `/realms/${REALM}/protocol/openid-connect/certs`;

describe('key rotation through the admin API', () => {
  let admin: KeycloakAdminClient;
  let proxy: CountingProxy;
  let authorizer: AuthorizerProcess;
  let issuer: string;
  let peopleClient: string;

  beforeAll(async () => {
    const kc = keycloakServer();
    admin = await adminClient();
    proxy = await startCountingProxy(kc.url);
    const stage = testStage(kc.url, REALM, `${proxy.url}${CERTS}`);
    issuer = stage.keycloak.issuer;
    peopleClient = stage.keycloak.peopleClientId;
    await applyStage(admin, stage);
    authorizer = await startAuthorizer(synthesizedConfigFor(stage), proxy.ca);
  });
  afterAll(async () => {
    await authorizer?.stop();
    await proxy?.close();
  });

  const token = async () => (await passwordGrant(issuer, peopleClient, 'alice')).access_token;
  const me = async (t: string) => {
    const d = await authorizer.decide(t, 'GET', '/me');
    return d.decision === 'allow' ? 'allow' : `${d.decision} ${d.reason}`;
  };

  it('accepts a rotated key at once, keeps old tokens while their key is published, refuses them after', async () => {
    // Warm: the first token fetched the JWKS.
    const old1 = await token();
    const old2 = await token();
    const old3 = await token();
    const oldKid = decodeHeader(old1).kid as string;
    expect(await me(old1)).toBe('allow');
    expect(proxy.count(CERTS)).toBe(1);

    // Rotate a moment later: a second RSA provider with a higher priority than the realm's default (100).
    const realm = await admin.realms.findOne({ realm: REALM });
    const before = await admin.components.find({ realm: REALM, type: 'org.keycloak.keys.KeyProvider' });
    const oldProvider = before.find((c) => c.providerId === 'rsa-generated')!;
    await admin.components.create({
      realm: REALM,
      name: 'rsa-rotated',
      providerId: 'rsa-generated',
      providerType: 'org.keycloak.keys.KeyProvider',
      parentId: realm!.id,
      config: {
        priority: ['200'],
        enabled: ['true'],
        active: ['true'],
        algorithm: ['RS256'],
        keySize: ['2048'],
      },
    });
    const fresh = await token();
    const newKid = decodeHeader(fresh).kid as string;
    expect(newKid).not.toBe(oldKid);

    // Exactly one refetch, at once, although the last fetch was a moment ago.
    expect(await me(fresh)).toBe('allow');
    expect(proxy.count(CERTS)).toBe(2);
    // The old key is still published: an old token is accepted without a fetch.
    expect(await me(old2)).toBe('allow');
    expect(proxy.count(CERTS)).toBe(2);

    // Disable the old provider: its key leaves the JWKS.
    await admin.components.update(
      { realm: REALM, id: oldProvider.id! },
      { ...oldProvider, config: { ...oldProvider.config, enabled: ['false'] } },
    );
    const jwks = (await (await fetch(`${issuer}/protocol/openid-connect/certs`)).json()) as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid)).not.toContain(oldKid);
    expect(jwks.keys.map((k) => k.kid)).toContain(newKid);

    // The authorizer learns it on its next refetch: after the interval, an unknown kid triggers it.
    await new Promise((r) => setTimeout(r, DEFAULTS.jwksRefetchIntervalMs + 500));
    const stranger = await generateSigningKey('RS256');
    expect(await me(keycloakAccessToken(stranger, { issuer, azp: peopleClient, aud: 'keygate-api' }))).toBe(
      'unauthorized kid_unknown',
    );
    expect(proxy.count(CERTS)).toBe(3);
    // The old key is gone from the refetched JWKS: its token is refused (after the one immediate refetch
    // that interval fetch allows, which finds no such key either).
    expect(await me(old3)).toBe('unauthorized kid_unknown');
    expect(proxy.count(CERTS)).toBe(4);
    // The new key keeps working without a fetch.
    expect(await me(await token())).toBe('allow');
    expect(proxy.count(CERTS)).toBe(4);
  });
});
