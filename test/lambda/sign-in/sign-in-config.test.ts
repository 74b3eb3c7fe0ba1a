import { describe, expect, it } from 'vitest';
import { endpointsOf, validateSignInConfig } from '../../../lambda/sign-in/sign-in-config';
import type { SignInConfig } from '../../../lambda/sign-in/sign-in-config';

const valid: SignInConfig = {
  version: 1,
  issuer: 'https://sso.example.com/realms/ml',
  clientId: 'keygate-web',
  keysSecretId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:keys-AbCdEf',
};

describe('sign-in config', () => {
  it('accepts a minimal public-client config and derives Keycloak endpoints', () => {
    expect(validateSignInConfig(valid)).toEqual({ ok: true, config: valid });
    expect(endpointsOf(valid)).toEqual({
      authorizationEndpoint: 'https://sso.example.com/realms/ml/protocol/openid-connect/auth',
      tokenEndpoint: 'https://sso.example.com/realms/ml/protocol/openid-connect/token',
      endSessionEndpoint: 'https://sso.example.com/realms/ml/protocol/openid-connect/logout',
      jwksUri: 'https://sso.example.com/realms/ml/protocol/openid-connect/certs',
    });
  });

  it.each([
    [{ cookieName: '__Host-app-session', stateCookieName: '__Host-app-login' }],
    [{ cookieName: 'kg-session' }],
    [{ secureCookies: false, cookieName: 'kg-session', stateCookieName: 'kg-login' }],
  ])('accepts cookie names with - and the __Host- prefix: %j', (names) => {
    expect(validateSignInConfig({ ...valid, ...names })).toMatchObject({ ok: true });
  });

  it('lets endpoints be overridden (an internal hostname for back-channel calls)', () => {
    expect(
      endpointsOf({ ...valid, tokenEndpoint: 'https://kc.internal/realms/ml/protocol/openid-connect/token' })
        .tokenEndpoint,
    ).toBe('https://kc.internal/realms/ml/protocol/openid-connect/token');
  });

  it.each([
    [{ version: 2 }, 'version must be 1'],
    [{ issuer: 'http://sso.example.com/realms/ml' }, 'issuer must be an https URL without a trailing slash'],
    [
      { issuer: 'https://sso.example.com/realms/ml/' },
      'issuer must be an https URL without a trailing slash',
    ],
    [{ clientId: '' }, 'clientId must be a non-empty string of at most 255 characters'],
    [{ keysSecretId: undefined }, 'keysSecretId must be a non-empty string of at most 2048 characters'],
    [{ clientSecretId: '' }, 'clientSecretId must be a non-empty string of at most 2048 characters'],
    [{ tokenEndpoint: 'http://kc/token' }, 'tokenEndpoint must be an https URL'],
    [{ publicBaseUrl: 'https://api.example.com/' }, 'publicBaseUrl must be an https URL'],
    [{ scopes: ['profile'] }, "scopes must include 'openid'"],
    [
      { scopes: ['openid', 'open id'] },
      'scopes[1] must be an OAuth scope token (no spaces, quotes or backslashes)',
    ],
    [{ scopes: 'openid' }, 'scopes must be a list of scope tokens'],
    [{ cookieName: '__Host-x;' }, 'cookieName must be 1-48 letters, digits, _ or -'],
    [{ stateCookieName: 'a'.repeat(49) }, 'stateCookieName must be 1-48 letters, digits, _ or -'],
    [
      { secureCookies: false, cookieName: 'plain_session' },
      "stateCookieName needs a name without a __Host- or __Secure- prefix when secureCookies is false (a browser drops '__Host-keygate_login' set without Secure)",
    ],
    [{ postLogoutPath: '//evil' }, 'postLogoutPath must be a path starting with a single /'],
    [{ maxSessionSeconds: 60 }, 'maxSessionSeconds must be an integer from 300 to 2592000'],
    [{ secureCookies: 'yes' }, 'secureCookies must be a boolean'],
    [
      { allowedOrigins: ['http://portal.example.com'] },
      'allowedOrigins[0] must be an https origin (scheme, host and optional port only)',
    ],
    [{ csrfHeader: 'x csrf' }, 'csrfHeader must be an HTTP header name'],
    [{ extra: 1 }, expect.stringMatching(/^extra is not a known field \(version, issuer, clientId, /)],
    [{ issuer: undefined }, 'issuer must be an https URL without a trailing slash'],
  ])('refuses %j: %s', (change, message) => {
    const result = validateSignInConfig({ ...valid, ...change });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toContainEqual(message);
  });

  it.each([[null], [[]], ['x']])('refuses the non-object %j', (input) => {
    expect(validateSignInConfig(input)).toEqual({
      ok: false,
      errors: ['sign-in config must be a JSON object'],
      fields: ['sign-in config'],
    });
  });
});
