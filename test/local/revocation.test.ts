/**
 * Back-channel logout through the synthesized stage, served as deployed: the API's endpoint (no authorizer)
 * runs the back-channel logout function from its asset, which verifies a logout token signed with the
 * built-in realm's key and writes the session to the revocation table of the local DynamoDB stand-in; the
 * authorizer function reads that table, so the user's next request is refused with the revocation reason
 * within the bound (1 s here, with the result cache off).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { AUTHORIZER_CONFIG_ENV } from '../../common/authorizer-config';
import { BACKCHANNEL_LOGOUT_CONFIG_ENV } from '../../common/back-channel-logout';
import { BACKCHANNEL_LOGOUT_EVENT, BACKCHANNEL_LOGOUT_PATH } from '../../common/back-channel-logout';
import { REVOCATION_TABLE, revocationKey } from '../../common/revocation';
import type { AssemblyGatewayRecord } from '../../local/assembly/serve-assembly';
import { userTokens } from '../../local/callers';
import { postForm, request } from '../../local/http/request';
import type { ServedStage } from '../../local/serve-stage';
import { serveStage } from '../../local/serve-stage';
import { revocationTableKeys } from '../support/served-stage';

let served: ServedStage;
let url: string;
const records: AssemblyGatewayRecord[] = [];
const dev = DEFAULT_APP_CONFIG.stages.dev;
// The stage's cache TTL may not exceed the bound (synth refuses it); the gateway's cache is off besides.
const stage = {
  ...dev,
  authorizer: { ...dev.authorizer, cacheTtlSeconds: 1 },
  revocation: { boundSeconds: 1 },
};

beforeAll(async () => {
  served = await serveStage({
    stage,
    cacheTtlSeconds: 0,
    apiKinds: ['http'],
    buildLambdas: false,
    onRequest: (_api, r) => records.push(r),
  });
  url = served.api('http').url;
});
afterAll(() => served?.close());

/** What the tests need of the served stage to sign in as its test users. */
const callers = () => ({ ...served, issuer: served.issuer!, gateway: { url }, region: served.stack.region });

const me = (token: string) => request(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });

function sidOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
}

async function logoutToken(claims: Record<string, unknown>): Promise<string> {
  return served.issuer!.mint({
    header: { typ: 'logout+jwt' },
    claims: {
      aud: stage.keycloak.peopleClientId,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      jti: `lt-${Math.random()}`,
      typ: undefined,
      azp: undefined,
      scope: undefined,
      realm_access: undefined,
      resource_access: undefined,
      preferred_username: undefined,
      ...claims,
    },
    expiresIn: 120,
  });
}

const listedKeys = () => revocationTableKeys(served);

describe('a stage with revocation, served from its assembly', () => {
  it('creates the revocation table and configures the logout function and the authorizer with it', () => {
    const table = served.tables.tables.find((t) => t.path.includes('BackChannelLogout'));
    expect(table).toMatchObject({
      keySchema: [{ AttributeName: REVOCATION_TABLE.partitionKey, KeyType: 'HASH' }],
      ttlAttribute: REVOCATION_TABLE.ttlAttribute,
    });
    const logout = Object.values(served.stack.functions).find(
      (f) => f.environment[BACKCHANNEL_LOGOUT_CONFIG_ENV] !== undefined,
    );
    expect(JSON.parse(logout!.environment[BACKCHANNEL_LOGOUT_CONFIG_ENV]).tableName).toBe(table!.tableName);
    const authorizer = served.stack.functions[served.api('http').api.authorizer!.functionId];
    expect(JSON.parse(authorizer.environment[AUTHORIZER_CONFIG_ENV]).revocation).toEqual({
      boundSeconds: 1,
      tableName: table!.tableName,
    });
    expect(served.tables.unsupported).toEqual([]);
  });

  it('a user logged out through the back channel is refused with the revocation reason within the bound', async () => {
    const { access_token: token } = await userTokens(callers(), 'alice');
    const sid = sidOf(token);
    expect(sid.length).toBeGreaterThan(0);
    expect((await me(token)).status).toBe(200);

    const logout = await postForm(`${url}${BACKCHANNEL_LOGOUT_PATH}`, {
      logout_token: await logoutToken({ sid, sub: undefined }),
    });
    expect({ status: logout.status, cache: logout.headers['cache-control'] }).toEqual({
      status: 200,
      cache: 'no-store',
    });
    // The function wrote the session (and the logout token's jti, accepted once) to the table.
    const keys = await listedKeys();
    expect(keys).toContain(revocationKey(served.issuerUrl!, 'sid', sid));

    // The bound is 1 s: wait it out (the authorizer may use the entry it read for up to 1 s).
    await new Promise((r) => setTimeout(r, 1100));
    records.length = 0;
    expect((await me(token)).status).toBe(401);
    expect(records.map((r) => r.authorizerReason)).toEqual(['session_revoked']);
    // A new sign-in is a new session.
    const { access_token: fresh } = await userTokens(callers(), 'alice');
    expect(sidOf(fresh)).not.toBe(sid);
    expect((await me(fresh)).status).toBe(200);
  });

  it.each([
    ['a nonce', { nonce: 'n' }, 'nonce_present'],
    ['no events', { events: undefined }, 'events_invalid'],
    ['another audience', { aud: 'someone-else' }, 'audience_not_allowed'],
  ])('refuses a logout token with %s: 400 %s', async (_n, claims, reason) => {
    const res = await postForm(`${url}${BACKCHANNEL_LOGOUT_PATH}`, {
      logout_token: await logoutToken({ sid: 'sid-x', ...claims }),
    });
    expect(res.status).toBe(400);
    expect(res.json<{ error_description: string }>().error_description.split(':')[0]).toBe(reason);
  });
});
