/**
 * Back-channel logout against the real Keycloak: the local stack provisions a realm whose people client
 * names the gateway's endpoint as its back-channel logout URL (the realm definition's attributes); a
 * user signs in (password grant) and calls the API; an administrator logs the user out in Keycloak
 * (admin API); Keycloak POSTs its logout token to the gateway over http on the loopback address; the
 * endpoint verifies it against the realm's keys and puts the session on the list; the user's next request
 * is refused within the bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { userTokens } from '../../local/callers';
import type { LocalStack, StackIssuer } from '../../local/gateway/local-stack';
import { startLocalStack } from '../../local/gateway/local-stack';
import { provisionThroughAdmin, testUserPasswords } from '../../local/keycloak-realm';
import { request } from '../../local/http/request';
import { adminClient, keycloakServer } from './keycloak-server';
import { decodePayload } from './support';

const REALM = 'kg-revocation';
const BOUND = 2;
let stack: LocalStack<StackIssuer>;
let admin: KeycloakAdminClient;

beforeAll(async () => {
  const kc = keycloakServer();
  const stage = { ...DEFAULT_APP_CONFIG.stages.dev, revocation: { boundSeconds: BOUND } };
  stack = await startLocalStack({
    stage,
    cacheTtlSeconds: 0,
    passwords: testUserPasswords(stage),
    keycloak: {
      realmUrl: `${kc.url}/realms/${REALM}`,
      provision: provisionThroughAdmin({ url: kc.url, ...kc.admin }),
    },
  });
  admin = await adminClient();
});
afterAll(() => stack?.close());

const me = (token: string) =>
  request(`${stack.gateway.url}/me`, { headers: { authorization: `Bearer ${token}` } });

/** Polls until the request is refused, for at most `seconds` (plus one last try). */
async function refusedWithin(token: string, seconds: number): Promise<{ status: number; afterMs: number }> {
  const start = Date.now();
  for (;;) {
    const status = (await me(token)).status;
    const afterMs = Date.now() - start;
    if (status !== 200 || afterMs > seconds * 1000) return { status, afterMs };
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('back-channel logout from a real Keycloak', () => {
  it('registers the gateway endpoint on the people client, session required, front channel off', async () => {
    const [people] = await admin.clients.find({ realm: REALM, clientId: 'keygate-web' });
    expect(people.attributes?.['backchannel.logout.url']).toBe(
      `${stack.gateway.url}/auth/backchannel-logout`,
    );
    expect(people.attributes?.['backchannel.logout.session.required']).toBe('true');
    expect(people.frontchannelLogout).toBe(false);
  });

  it('a user logged out in Keycloak is refused on the API within the bound; the list holds the session', async () => {
    const { access_token: token } = await userTokens(stack, 'alice');
    const sid = decodePayload(token).sid as string;
    expect(typeof sid).toBe('string');
    expect((await me(token)).status).toBe(200);

    const [user] = await admin.users.find({ realm: REALM, username: 'alice', exact: true });
    const before = stack.revocationStore!.lookups;
    // Keycloak POSTs the logout token to every client of the user's sessions before it answers.
    await admin.users.logout({ realm: REALM, id: user.id! });

    const refused = await refusedWithin(token, BOUND + 1);
    expect(refused.status).toBe(401);
    expect(stack.revocationStore!.lookups).toBeGreaterThan(before);
    const { access_token: fresh } = await userTokens(stack, 'alice');
    expect(decodePayload(fresh).sid).not.toBe(sid);
    expect((await me(fresh)).status).toBe(200);
  });
});
