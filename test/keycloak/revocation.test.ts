/**
 * Back-channel logout against the real Keycloak, through the synthesized stage served from its assembly:
 * the realm is provisioned with the people client naming the gateway's endpoint as its back-channel logout
 * URL (the realm definition's attributes); a user signs in (password grant) and calls the API; an
 * administrator logs the user out in Keycloak (admin API); Keycloak POSTs its logout token to the gateway
 * over http on the loopback address; the back-channel logout function (run from its asset) verifies it
 * against the realm's keys and writes the session to the revocation table of the local DynamoDB stand-in;
 * the authorizer function reads it there, so the user's next request is refused with the revocation reason
 * within the bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import { revocationKey } from '../../common/revocation';
import type { AssemblyGatewayRecord } from '../../local/assembly/serve-assembly';
import { freeConsecutivePorts } from '../../local/free-ports';
import { provisionThroughAdmin, testUserPasswords } from '../../local/keycloak-realm';
import { request } from '../../local/http/request';
import type { ServedStage } from '../../local/serve-stage';
import { serveStage } from '../../local/serve-stage';
import { revocationTableKeys } from '../support/served-stage';
import { localStageRealm } from '../../local/sign-in-realm';
import { realmStage } from '../../local/stage-assembly';
import { adminClient, keycloakServer } from './keycloak-server';
import { decodePayload, passwordGrant } from './support';

const REALM = 'kg-revocation';
const BOUND = 2;
const dev = DEFAULT_APP_CONFIG.stages.dev;
// The stage's cache TTL may not exceed the bound (synth refuses it); the gateway's cache is off besides.
const stage: StageConfig = {
  ...dev,
  authorizer: { ...dev.authorizer, cacheTtlSeconds: BOUND },
  revocation: { boundSeconds: BOUND },
};
let served: ServedStage;
let url: string;
let realmUrl: string;
let passwords: Record<string, string>;
let admin: KeycloakAdminClient;
const records: AssemblyGatewayRecord[] = [];

beforeAll(async () => {
  const kc = keycloakServer();
  realmUrl = `${kc.url}/realms/${REALM}`;
  url = `http://127.0.0.1:${await freeConsecutivePorts(1)}`;
  // The realm as the stage defines it, with the gateway's endpoint as the back-channel logout URL.
  const secrets = await provisionThroughAdmin({ url: kc.url, ...kc.admin })(
    localStageRealm(realmStage({ ...stage, revocation: { ...stage.revocation, publicUrl: url } }, realmUrl), {
      passwords: testUserPasswords(stage),
    }),
  );
  passwords = secrets.passwords;
  served = await serveStage({
    stage,
    keycloak: realmUrl,
    gatewayPort: Number(new URL(url).port),
    apiKinds: ['http'],
    cacheTtlSeconds: 0,
    buildLambdas: false,
    onRequest: (_api, r) => records.push(r),
  });
  admin = await adminClient();
});
afterAll(() => served?.close());

/** A test user signing in to the real realm (the people client's direct access grant). */
const signIn = (username: string) =>
  passwordGrant(realmUrl, stage.keycloak.peopleClientId, username, passwords[username]);

const me = (token: string) => request(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });

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

const listedKeys = () => revocationTableKeys(served);

describe('back-channel logout from a real Keycloak', () => {
  it('registers the gateway endpoint on the people client, session required, front channel off', async () => {
    const [people] = await admin.clients.find({ realm: REALM, clientId: 'keygate-web' });
    expect(people.attributes?.['backchannel.logout.url']).toBe(`${url}/auth/backchannel-logout`);
    expect(people.attributes?.['backchannel.logout.session.required']).toBe('true');
    expect(people.frontchannelLogout).toBe(false);
  });

  it('a user logged out in Keycloak is refused on the API within the bound; the table holds the session', async () => {
    const { access_token: token } = await signIn('alice');
    const sid = decodePayload(token).sid as string;
    expect(typeof sid).toBe('string');
    expect((await me(token)).status).toBe(200);
    expect(await listedKeys()).not.toContain(revocationKey(realmUrl, 'sid', sid));

    const [user] = await admin.users.find({ realm: REALM, username: 'alice', exact: true });
    // Keycloak POSTs the logout token to every client of the user's sessions before it answers.
    await admin.users.logout({ realm: REALM, id: user.id! });
    expect(await listedKeys()).toContain(revocationKey(realmUrl, 'sid', sid));

    records.length = 0;
    const refused = await refusedWithin(token, BOUND + 1);
    expect(refused.status).toBe(401);
    expect(records.at(-1)?.authorizerReason).toBe('session_revoked');
    const { access_token: fresh } = await signIn('alice');
    expect(decodePayload(fresh).sid).not.toBe(sid);
    expect((await me(fresh)).status).toBe(200);
  });
});
