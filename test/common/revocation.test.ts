import { describe, expect, it } from 'vitest';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import { revocationKey, logoutJtiKey, validateRevocationBlock } from '../../common/revocation';
import { validateBackChannelLogoutConfig } from '../../common/back-channel-logout';

const ISSUER = 'https://sso.example.com/realms/keygate';

describe('revocation block', () => {
  it.each([
    [{}, 30, []],
    [{ boundSeconds: 60, tableName: 'keygate-revocations' }, 60, []],
    [
      { boundSeconds: 0 },
      0,
      [['revocation.boundSeconds', 'revocation.boundSeconds must be an integer from 1 to 300']],
    ],
    [
      { boundSeconds: 301 },
      0,
      [['revocation.boundSeconds', 'revocation.boundSeconds must be an integer from 1 to 300']],
    ],
    [
      { boundSeconds: 1.5 },
      0,
      [['revocation.boundSeconds', 'revocation.boundSeconds must be an integer from 1 to 300']],
    ],
    [
      {},
      300,
      [
        [
          'resultCacheTtlSeconds',
          'resultCacheTtlSeconds (300) must not exceed revocation.boundSeconds (30): a cached answer would outlive a logout by more than the bound',
        ],
      ],
    ],
    [
      {},
      undefined,
      [
        [
          'resultCacheTtlSeconds',
          'revocation needs resultCacheTtlSeconds: the bound includes API Gateway result caching',
        ],
      ],
    ],
    [
      { tableName: 'a b' },
      0,
      [
        [
          'revocation.tableName',
          'revocation.tableName must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)',
        ],
      ],
    ],
    [{ ttl: 3 }, 0, [['revocation.ttl', 'revocation.ttl is not a field']]],
    ['yes', 0, [['revocation', 'revocation must be an object']]],
  ] as const)('%j with a result cache of %s s: %j', (block, ttl, errors) => {
    expect(validateRevocationBlock(block, ttl)).toEqual(errors.map(([path, message]) => ({ path, message })));
  });

  it('is a field of the authorizer configuration, checked against its result cache TTL', () => {
    const base = {
      version: 1,
      issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['web'] }],
      routes: [{ method: 'GET', path: '/me', auth: 'keycloak' }],
    };
    expect(validateAuthorizerConfig({ ...base, resultCacheTtlSeconds: 15, revocation: {} }).ok).toBe(true);
    const message =
      'resultCacheTtlSeconds (300) must not exceed revocation.boundSeconds (30): a cached answer would outlive a logout by more than the bound';
    expect(validateAuthorizerConfig({ ...base, resultCacheTtlSeconds: 300, revocation: {} })).toEqual({
      ok: false,
      errors: [message],
      issues: [{ path: 'resultCacheTtlSeconds', message }],
    });
  });

  it('keys name the kind and the issuer, so equal ids of two realms never collide', () => {
    const keys = new Set([
      revocationKey(ISSUER, 'sid', 'x'),
      revocationKey(ISSUER, 'sub', 'x'),
      revocationKey(`${ISSUER}2`, 'sid', 'x'),
      logoutJtiKey(ISSUER, 'x'),
    ]);
    expect(keys.size).toBe(4);
  });
});

describe('back-channel logout configuration', () => {
  const issuer = { issuer: ISSUER, audiences: ['keygate-web'] };
  it.each([
    [{ issuers: [issuer], tableName: 'revocations', retentionSeconds: 36_000 }, []],
    [
      {
        issuers: [
          {
            issuer: 'http://127.0.0.1:8080/realms/k',
            audiences: ['w'],
            insecureHttpIssuerForDevelopmentOnly: true,
          },
        ],
      },
      [],
    ],
    [
      { issuers: [{ issuer: 'http://kc.example/realms/k', audiences: ['w'] }] },
      ['issuers[0].issuer must be an https URL without a trailing slash'],
    ],
    [
      { issuers: [{ ...issuer, jwksUri: 'http://kc.example/certs' }] },
      ['issuers[0].jwksUri must be an https URL'],
    ],
    [
      { issuers: [{ issuer: ISSUER, audiences: [] }] },
      ['issuers[0].audiences must list the client ids whose sessions may be logged out'],
    ],
    [{ issuers: [] }, ['issuers must be a non-empty array']],
    [{ issuers: [issuer], retentionSeconds: 10 }, ['retentionSeconds must be an integer from 60 to 2678400']],
    [{ issuers: [issuer], clockSkewSeconds: 61 }, ['clockSkewSeconds must be an integer from 0 to 60']],
    [{ issuers: [issuer], extra: 1 }, ['extra is not a config field']],
  ])('%j: %j', (input, errors) => {
    const r = validateBackChannelLogoutConfig(input);
    expect(r.ok ? [] : r.errors).toEqual(errors);
  });
});
