/**
 * What the sign-in function accepts from a token endpoint (tokenSetOf): every way an answer can be wrong
 * is a TokenEndpointError whose message says what, never echoing the provider's description; and the form
 * POST refuses a token endpoint that is not https before sending anything.
 */
import { describe, expect, it } from 'vitest';
import { postForm } from '../../../lambda/sign-in/http-form';
import { TokenEndpointError, tokenSetOf } from '../../../lambda/sign-in/oidc-client';

const ok = (body: Record<string, unknown>) => ({ status: 200, body: JSON.stringify(body) });

describe('tokenSetOf', () => {
  it('a full Keycloak answer: every token and both lifetimes', () => {
    expect(
      tokenSetOf(
        ok({
          access_token: 'at',
          token_type: 'Bearer',
          expires_in: 300,
          refresh_token: 'rt',
          refresh_expires_in: 1800,
          id_token: 'it',
        }),
      ),
    ).toEqual({
      accessToken: 'at',
      refreshToken: 'rt',
      idToken: 'it',
      expiresIn: 300,
      refreshExpiresIn: 1800,
    });
  });

  it.each([
    ['no expires_in', {}],
    ['expires_in of 0', { expires_in: 0 }],
    ['expires_in as a string', { expires_in: '300' }],
  ])('%s: a minute, and no refresh or ID token when they are absent', (_name, extra) => {
    expect(tokenSetOf(ok({ access_token: 'at', token_type: 'bearer', ...extra }))).toEqual({
      accessToken: 'at',
      refreshToken: undefined,
      idToken: undefined,
      expiresIn: 60,
      refreshExpiresIn: undefined,
    });
  });

  it.each<[string, { status: number; body: string }, string, string | undefined]>([
    [
      'an HTML error page',
      { status: 502, body: '<html>bad gateway</html>' },
      'token endpoint answered 502 without JSON',
      undefined,
    ],
    [
      'an OAuth error, its code kept, its description not',
      { status: 400, body: '{"error":"invalid_grant","error_description":"Code not valid for user alice"}' },
      'token endpoint answered 400',
      'invalid_grant',
    ],
    [
      'an error code that is not an OAuth code token',
      { status: 401, body: '{"error":"Invalid Client <script>"}' },
      'token endpoint answered 401',
      undefined,
    ],
    ['no access token', ok({ token_type: 'Bearer' }), 'token response without access_token', undefined],
    [
      'an empty access token',
      ok({ access_token: '', token_type: 'Bearer' }),
      'token response without access_token',
      undefined,
    ],
    [
      'a DPoP token type',
      ok({ access_token: 'at', token_type: 'DPoP' }),
      'token response token_type is not Bearer',
      undefined,
    ],
    ['no token type', ok({ access_token: 'at' }), 'token response token_type is not Bearer', undefined],
  ])('refuses %s', (_name, res, message, oauthError) => {
    let thrown: unknown;
    try {
      tokenSetOf(res);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(TokenEndpointError);
    expect([(thrown as TokenEndpointError).message, (thrown as TokenEndpointError).oauthError]).toEqual([
      message,
      oauthError,
    ]);
    expect((thrown as Error).message).not.toContain('alice');
  });
});

describe('postForm', () => {
  it('refuses a token endpoint that is not https', async () => {
    await expect(
      postForm('http://127.0.0.1:9/token', new URLSearchParams({ code: 'c' }), { timeoutMs: 100 }),
    ).rejects.toThrow('token endpoint must be https');
  });
});
