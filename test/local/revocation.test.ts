/**
 * Back-channel logout through the local stack with the built-in issuer: the gateway serves the endpoint
 * without an authorizer, a logout token signed with the realm's key puts the session on the in-memory
 * list, and the user's next request is refused within the bound (1 s here, with the result cache off).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { BACKCHANNEL_LOGOUT_EVENT, BACKCHANNEL_LOGOUT_PATH } from '../../common/back-channel-logout';
import { userTokens } from '../../local/callers';
import type { LocalStack } from '../../local/gateway/local-stack';
import { startLocalStack } from '../../local/gateway/local-stack';
import { postForm, request } from '../../local/http/request';

let stack: LocalStack;
const stage = { ...DEFAULT_APP_CONFIG.stages.dev, revocation: { boundSeconds: 1 } };

beforeAll(async () => {
  stack = await startLocalStack({ stage, cacheTtlSeconds: 0 });
});
afterAll(() => stack.close());

const me = (token: string) =>
  request(`${stack.gateway.url}/me`, { headers: { authorization: `Bearer ${token}` } });

function sidOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { sid: string }).sid;
}

async function logoutToken(claims: Record<string, unknown>): Promise<string> {
  return stack.issuer.mint({
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

describe('local stack with revocation', () => {
  it('configures the authorizer with the bound and the list', () => {
    expect(stack.authorizerConfig.revocation).toEqual({ boundSeconds: 1 });
    expect(stack.authorizerConfig.resultCacheTtlSeconds).toBe(0);
    expect(stack.revocationStore).toBeDefined();
  });

  it('a user logged out through the back channel is refused on the next request within the bound', async () => {
    const { access_token: token } = await userTokens(stack, 'alice');
    const sid = sidOf(token);
    expect(sid.length).toBeGreaterThan(0);
    expect((await me(token)).status).toBe(200);

    const logout = await postForm(`${stack.gateway.url}${BACKCHANNEL_LOGOUT_PATH}`, {
      logout_token: await logoutToken({ sid, sub: undefined }),
    });
    expect({ status: logout.status, cache: logout.headers['cache-control'] }).toEqual({
      status: 200,
      cache: 'no-store',
    });
    expect(stack.revocationStore?.lookups).toBeGreaterThan(0);

    // The bound is 1 s: wait it out (the authorizer may use the entry it read for up to 1 s).
    await new Promise((r) => setTimeout(r, 1100));
    expect((await me(token)).status).toBe(401);
    // A new sign-in is a new session.
    await new Promise((r) => setTimeout(r, 1000));
    const { access_token: fresh } = await userTokens(stack, 'alice');
    expect((await me(fresh)).status).toBe(200);
  });

  it.each([
    ['a nonce', { nonce: 'n' }, 'nonce_present'],
    ['no events', { events: undefined }, 'events_invalid'],
    ['another audience', { aud: 'someone-else' }, 'audience_not_allowed'],
  ])('refuses a logout token with %s: 400 %s', async (_n, claims, reason) => {
    const res = await postForm(`${stack.gateway.url}${BACKCHANNEL_LOGOUT_PATH}`, {
      logout_token: await logoutToken({ sid: 'sid-x', ...claims }),
    });
    expect(res.status).toBe(400);
    expect(res.json<{ error_description: string }>().error_description.split(':')[0]).toBe(reason);
  });
});
