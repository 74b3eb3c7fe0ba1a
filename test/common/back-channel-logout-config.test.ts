/**
 * The back-channel logout contracts (common/back-channel-logout.ts): the function's configuration and the
 * stage's `revocation` block refuse each wrong field with a message naming it; an http issuer or JWKS is
 * accepted only when marked for development, and its keys only from loopback.
 */
import { describe, expect, it } from 'vitest';
import {
  BACKCHANNEL_LOGOUT_PATH,
  backchannelLogoutUrl,
  revocationClientIds,
  validateBackChannelLogoutConfig,
  validateStageRevocation,
} from '../../common/back-channel-logout';
import { REVOCATION_DEFAULTS } from '../../common/revocation';

const ISSUER = { issuer: 'https://sso.example.com/realms/ml', audiences: ['keygate-web'] };
const errorsOf = (input: unknown) => {
  const r = validateBackChannelLogoutConfig(input);
  return r.ok ? [] : r.errors;
};

describe('validateBackChannelLogoutConfig', () => {
  it('accepts a full configuration', () => {
    const config = {
      issuers: [ISSUER],
      tableName: 'revoked.sessions-1',
      retentionSeconds: 60,
      clockSkewSeconds: 0,
    };
    expect(validateBackChannelLogoutConfig(config)).toEqual({ ok: true, config });
  });

  it.each<[string, unknown, string[]]>([
    ['a list', [ISSUER], ['config must be a JSON object']],
    ['null', null, ['config must be a JSON object']],
    [
      'fields out of range',
      { issuers: [ISSUER], tableName: 'ab', retentionSeconds: 59, clockSkewSeconds: 61 },
      [
        'tableName must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)',
        `retentionSeconds must be an integer from 60 to ${REVOCATION_DEFAULTS.maxRetentionSeconds}`,
        'clockSkewSeconds must be an integer from 0 to 60',
      ],
    ],
    [
      'an issuer that is not an object, and one with every field wrong',
      {
        issuers: [
          'https://sso.example.com/realms/ml',
          {
            issuer: 'http://sso.example.com/realms/ml',
            jwksUri: 'ftp://x',
            audiences: [],
            insecureHttpIssuerForDevelopmentOnly: 'yes',
            extra: 1,
          },
        ],
      },
      [
        'issuers[0] must be an object',
        'issuers[1].insecureHttpIssuerForDevelopmentOnly must be a boolean',
        'issuers[1].issuer must be an https URL without a trailing slash',
        'issuers[1].jwksUri must be an https URL',
        'issuers[1].audiences must list the client ids whose sessions may be logged out',
        'issuers[1].extra is not a field',
      ],
    ],
    [
      'audiences with an empty or an overlong id',
      {
        issuers: [
          { ...ISSUER, audiences: ['a', ''] },
          { ...ISSUER, audiences: ['b'.repeat(256)] },
        ],
      },
      [
        'issuers[0].audiences must list the client ids whose sessions may be logged out',
        'issuers[1].audiences must list the client ids whose sessions may be logged out',
      ],
    ],
  ])('refuses %s', (_name, input, errors) => {
    expect(errorsOf(input)).toEqual(errors);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'an http issuer not marked for development',
      { issuer: 'http://127.0.0.1:8080/realms/dev' },
      ['issuers[0].issuer must be an https URL without a trailing slash'],
    ],
    [
      'an http loopback issuer marked for development',
      { issuer: 'http://127.0.0.1:8080/realms/dev', insecureHttpIssuerForDevelopmentOnly: true },
      [],
    ],
    [
      'an http issuer elsewhere, marked, without a JWKS URL',
      { issuer: 'http://kc.internal/realms/dev', insecureHttpIssuerForDevelopmentOnly: true },
      ['issuers[0].jwksUri must be set to an https URL for an http issuer'],
    ],
    [
      'an http issuer elsewhere, marked, with an https JWKS URL',
      {
        issuer: 'http://kc.internal/realms/dev',
        jwksUri: 'https://kc.internal/certs',
        insecureHttpIssuerForDevelopmentOnly: true,
      },
      [],
    ],
    [
      'an http JWKS URL off loopback, even when marked',
      {
        issuer: 'http://kc.internal/realms/dev',
        jwksUri: 'http://kc.internal/certs',
        insecureHttpIssuerForDevelopmentOnly: true,
      },
      ['issuers[0].jwksUri must be an https URL'],
    ],
    [
      'an http JWKS URL on loopback, marked',
      {
        issuer: 'http://localhost:8080/realms/dev',
        jwksUri: 'http://localhost:8080/certs',
        insecureHttpIssuerForDevelopmentOnly: true,
      },
      [],
    ],
  ])('%s', (_name, over, errors) => {
    expect(errorsOf({ issuers: [{ ...ISSUER, ...over }] })).toEqual(errors);
  });
});

describe('validateStageRevocation', () => {
  it.each<[string, unknown, unknown, [path: string, message: string][]]>([
    ['the defaults', {}, undefined, []],
    ['not an object', [], undefined, [['stages.dev.revocation', 'stages.dev.revocation must be an object']]],
    [
      'a bound of 0',
      { boundSeconds: 0 },
      undefined,
      [
        [
          'stages.dev.revocation.boundSeconds',
          `stages.dev.revocation.boundSeconds must be an integer from 1 to ${REVOCATION_DEFAULTS.maxBoundSeconds}`,
        ],
      ],
    ],
    [
      'a cache TTL longer than the bound',
      { boundSeconds: 30 },
      60,
      [
        [
          'stages.dev.revocation.boundSeconds',
          'stages.dev.revocation.boundSeconds (30) is below authorizer.cacheTtlSeconds (60): lower the cache TTL or leave it out (it then defaults to the bound)',
        ],
      ],
    ],
    ['a cache TTL equal to the bound', { boundSeconds: 30 }, 30, []],
    [
      'a retention under a minute, an http public URL off loopback, an unknown field',
      { retentionSeconds: 10, publicUrl: 'http://api.example.com', ttl: 5 },
      undefined,
      [
        [
          'stages.dev.revocation.retentionSeconds',
          `stages.dev.revocation.retentionSeconds must be an integer from 60 to ${REVOCATION_DEFAULTS.maxRetentionSeconds}`,
        ],
        [
          'stages.dev.revocation.publicUrl',
          'stages.dev.revocation.publicUrl must be an https URL without a trailing slash',
        ],
        ['stages.dev.revocation.ttl', 'stages.dev.revocation.ttl is not a field'],
      ],
    ],
    ['an http public URL on loopback', { publicUrl: 'http://127.0.0.1:8080' }, undefined, []],
  ])('%s', (_name, input, ttl, errors) => {
    expect(validateStageRevocation(input, 'stages.dev.revocation', ttl)).toEqual(
      errors.map(([path, message]) => ({ path, message })),
    );
  });
});

describe('back-channel logout URL and clients', () => {
  it('the URL is the public URL and the logout path', () => {
    expect(backchannelLogoutUrl('https://api.example.com/prod')).toBe(
      `https://api.example.com/prod${BACKCHANNEL_LOGOUT_PATH}`,
    );
  });

  it('the people client and the browser sign-in client, once each', () => {
    const keycloak = { peopleClientId: 'keygate-web' };
    expect(revocationClientIds({ keycloak } as never)).toEqual(['keygate-web']);
    expect(revocationClientIds({ keycloak, browserSignIn: { clientId: 'keygate-web' } } as never)).toEqual([
      'keygate-web',
    ]);
    expect(revocationClientIds({ keycloak, browserSignIn: { clientId: 'keygate-bff' } } as never)).toEqual([
      'keygate-web',
      'keygate-bff',
    ]);
  });
});
