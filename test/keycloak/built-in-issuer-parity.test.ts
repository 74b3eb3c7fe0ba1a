/**
 * The project's built-in issuer (local/issuer, oidc-provider) against the real server, from the same
 * realm definition: the tokens have the same headers, the same claims of the same types, and the
 * authorizer reads the same roles from them. Values that are per-server by nature (iss, sub, jti, sid,
 * exp, iat, kid) are compared by type only.
 */
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import type { LocalIssuer } from '../../local/issuer';
import { startLocalIssuer } from '../../local/issuer';
import { buildRealm } from '../../realm/realm-definition';
import { adminClient, keycloakServer } from './keycloak-server';
import type { TokenResponse } from './support';
import { applyStage, decodeHeader, decodePayload, passwordGrant, TEST_PASSWORD, testStage } from './support';

const REALM = 'kg-parity';

/** `header.<name>` / `payload.<name>` → JSON type, plus the value where it is not per-server. */
function shape(token: string): Record<string, string> {
  const perServer = new Set(['iss', 'sub', 'jti', 'sid', 'exp', 'iat', 'at_hash', 'kid']);
  const out: Record<string, string> = {};
  const parts = { header: decodeHeader(token), payload: decodePayload(token) };
  for (const [part, claims] of Object.entries(parts)) {
    for (const [k, v] of Object.entries(claims)) {
      const type = Array.isArray(v) ? 'array' : typeof v;
      const key = `${part}.${k}`;
      if (perServer.has(k)) out[key] = type;
      // Keycloak lists granted scopes in no fixed order (two runs gave `openid profile email` and
      // `openid email profile`): a set.
      else if (k === 'scope' && typeof v === 'string')
        out[key] = `scope set ${v.split(' ').sort().join(' ')}`;
      else out[key] = `${type} ${JSON.stringify(sortRoles(v))}`;
    }
  }
  return out;
}

/** What the built-in issuer's ID tokens lack (oidc-provider writes them; the authorizer never reads them). */
const ID_TOKEN_GAPS = ['header.typ', 'payload.at_hash', 'payload.jti'];

function without(s: Record<string, string>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(s).filter(([k]) => !keys.includes(k)));
}

function sortRoles(v: unknown): unknown {
  if (Array.isArray(v)) return [...(v as string[])].sort();
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, sortRoles(x)]),
    );
  return v;
}

async function clientCredentialsAt(tokenUrl: string, clientId: string, secret: string): Promise<string> {
  const res = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as TokenResponse).access_token;
}

describe('the built-in issuer issues what Keycloak issues', () => {
  let admin: KeycloakAdminClient;
  let stage: StageConfig;
  let local: LocalIssuer;
  let secret: string;

  beforeAll(async () => {
    admin = await adminClient();
    stage = testStage(keycloakServer().url, REALM);
    await applyStage(admin, stage);
    const [sa] = await admin.clients.find({ realm: REALM, clientId: 'batch-scorer' });
    secret = (await admin.clients.getClientSecret({ realm: REALM, id: sa.id! })).value!;
    const passwords = { alice: TEST_PASSWORD, bob: TEST_PASSWORD };
    local = await startLocalIssuer({
      realm: buildRealm(stage, {
        includeTestUsers: true,
        testUserPasswords: passwords,
        directAccessGrants: true,
      }),
      https: false,
      passwords,
      clientSecrets: { 'batch-scorer': secret },
      clientAuthMethod: 'client_secret_post',
    });
  });
  afterAll(() => local?.close());

  it.each(['alice', 'bob'])('a person’s access and ID tokens (%s, password grant)', async (user) => {
    const real = await passwordGrant(stage.keycloak.issuer, stage.keycloak.peopleClientId, user);
    const built = await passwordGrant(local.issuer, stage.keycloak.peopleClientId, user);
    expect(shape(built.access_token)).toEqual(shape(real.access_token));
    const realId = shape(real.id_token!);
    const builtId = shape(built.id_token!);
    expect(
      Object.keys(realId)
        .filter((k) => !(k in builtId))
        .sort(),
    ).toEqual(ID_TOKEN_GAPS);
    expect(without(builtId, ID_TOKEN_GAPS)).toEqual(without(realId, ID_TOKEN_GAPS));
  });

  it('a service account’s access token (client credentials)', async () => {
    const real = await clientCredentialsAt(
      `${stage.keycloak.issuer}/protocol/openid-connect/token`,
      'batch-scorer',
      secret,
    );
    const built = await clientCredentialsAt(local.urls.token, 'batch-scorer', secret);
    expect(shape(built)).toEqual(shape(real));
  });
});
