import { describe, expect, it } from 'vitest';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import type { RouteSpec } from '../../common/route-model';
import type { TokenBindingConfig } from '../../common/token-binding';
import { bindingNeed, confirmationOf, validateTokenBinding } from '../../common/token-binding';

const ISSUER = 'https://sso.example.com/realms/keygate';
const ROUTES: RouteSpec[] = [
  { method: 'GET', path: '/me', auth: 'keycloak' },
  { method: 'POST', path: '/models/{modelId}/invoke', auth: 'keycloak' },
  { method: 'GET', path: '/machine', auth: 'iam' },
];
const CONTEXT = { routes: ROUTES, issuers: [ISSUER], resultCacheTtlSeconds: 0 };
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('validateTokenBinding', () => {
  it('accepts DPoP and mTLS scopes over trusted issuers and keycloak routes, with the cache off', () => {
    const binding: TokenBindingConfig = {
      dpop: {
        routes: ['POST /models/{modelId}/invoke'],
        algorithms: ['ES256', 'EdDSA'],
        proofMaxAgeSeconds: 120,
        replayTableName: 'keygate-dpop-replay',
        publicBaseUrl: 'https://api.example.com/v1',
      },
      mtls: { issuers: [ISSUER] },
    };
    expect(validateTokenBinding(binding, CONTEXT)).toEqual([]);
  });

  it.each<[string, unknown, string, string]>([
    ['not an object', 'dpop', 'tokenBinding', 'tokenBinding must be an object with dpop and/or mtls'],
    ['empty', {}, 'tokenBinding', 'tokenBinding must set dpop or mtls'],
    ['an unknown field', { dpop: {}, x: 1 }, 'tokenBinding.x', 'tokenBinding.x is not a field (dpop, mtls)'],
    [
      'an untrusted issuer',
      { dpop: { issuers: ['https://other.example.com/realms/x'] } },
      'tokenBinding.dpop.issuers[0]',
      `tokenBinding.dpop.issuers: 'https://other.example.com/realms/x' is not a trusted issuer (${ISSUER})`,
    ],
    [
      'a route not in the table',
      { mtls: { routes: ['GET /nowhere'] } },
      'tokenBinding.mtls.routes[0]',
      "tokenBinding.mtls.routes: 'GET /nowhere' is not a keycloak route of the table (e.g. 'GET /me')",
    ],
    [
      'an IAM route',
      { dpop: { routes: ['GET /machine'] } },
      'tokenBinding.dpop.routes[0]',
      "tokenBinding.dpop.routes: 'GET /machine' is not a keycloak route of the table (e.g. 'GET /me')",
    ],
    [
      'HS256',
      { dpop: { algorithms: ['HS256'] } },
      'tokenBinding.dpop.algorithms',
      'tokenBinding.dpop.algorithms must be a non-empty list of ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA',
    ],
    [
      'no algorithm',
      { dpop: { algorithms: [] } },
      'tokenBinding.dpop.algorithms',
      'tokenBinding.dpop.algorithms must be a non-empty list of ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA',
    ],
    [
      'a max age of 301 s',
      { dpop: { proofMaxAgeSeconds: 301 } },
      'tokenBinding.dpop.proofMaxAgeSeconds',
      'tokenBinding.dpop.proofMaxAgeSeconds must be an integer from 1 to 300',
    ],
    [
      'a bad table name',
      { dpop: { replayTableName: 'a b' } },
      'tokenBinding.dpop.replayTableName',
      'tokenBinding.dpop.replayTableName must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ - .)',
    ],
    [
      'an http base URL',
      { dpop: { publicBaseUrl: 'http://api.example.com' } },
      'tokenBinding.dpop.publicBaseUrl',
      'tokenBinding.dpop.publicBaseUrl must be an https URL (http on a loopback address) without a trailing slash',
    ],
    [
      'an mTLS option of DPoP',
      { mtls: { algorithms: ['ES256'] } },
      'tokenBinding.mtls.algorithms',
      'tokenBinding.mtls.algorithms is not a field (issuers, routes)',
    ],
  ])('refuses %s, naming %s', (_name, input, path, message) => {
    expect(validateTokenBinding(input, CONTEXT)).toEqual([{ path, message }]);
  });

  it('requires the result cache off, naming the bound routes', () => {
    const errors = validateAuthorizerConfig({
      version: 1,
      issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['web'] }],
      routes: ROUTES,
      resultCacheTtlSeconds: 300,
      tokenBinding: { dpop: { routes: ['POST /models/{modelId}/invoke'] } },
    });
    const message =
      'resultCacheTtlSeconds must be 0 with tokenBinding: a bound token is proven per request (DPoP proof, ' +
      'client certificate), which a cached answer would skip (routes POST /models/{modelId}/invoke)';
    expect(errors).toEqual({
      ok: false,
      errors: [message],
      issues: [{ path: 'resultCacheTtlSeconds', message }],
    });
  });

  it('counts an unknown TTL as cached', () => {
    expect(
      validateTokenBinding({ mtls: { issuers: [ISSUER] } }, { routes: ROUTES, issuers: [ISSUER] }),
    ).toHaveLength(1);
  });
});

describe('confirmationOf', () => {
  it.each<[string, unknown, unknown]>([
    ['no cnf', undefined, undefined],
    ['a jkt', { jkt: JKT }, { jkt: JKT }],
    ['an x5t#S256', { 'x5t#S256': JKT }, { x5tS256: JKT }],
    ['a cnf with other members only', { kid: 'x' }, undefined],
    // A malformed binding never disappears: it becomes a value no key or certificate matches.
    ['a jkt of the wrong shape', { jkt: 'short' }, { jkt: '' }],
    ['a numeric x5t#S256', { 'x5t#S256': 5 }, { x5tS256: '' }],
    ['a cnf that is a string', 'x', { jkt: '', x5tS256: '' }],
  ])('%s', (_name, cnf, expected) => {
    expect(confirmationOf(cnf === undefined ? {} : { cnf })).toEqual(expected);
  });
});

describe('bindingNeed', () => {
  const config: TokenBindingConfig = { dpop: { routes: ['POST /x'] }, mtls: { issuers: [ISSUER] } };
  it.each<[string, string, string | undefined, object | undefined, { dpop: boolean; mtls: boolean }]>([
    ['a DPoP route', 'https://other', 'POST /x', undefined, { dpop: true, mtls: false }],
    ['an mTLS issuer', ISSUER, 'GET /me', undefined, { dpop: false, mtls: true }],
    ['a token declaring jkt', 'https://other', 'GET /me', { jkt: JKT }, { dpop: true, mtls: false }],
    ['no scope, no cnf', 'https://other', 'GET /me', undefined, { dpop: false, mtls: false }],
  ])('%s', (_name, issuer, route, cnf, expected) => {
    expect(bindingNeed(config, issuer, route, cnf)).toEqual(expected);
  });

  it('a token declaring a binding that is not configured needs nothing', () => {
    expect(bindingNeed({ dpop: {} }, ISSUER, undefined, { x5tS256: JKT })).toEqual({
      dpop: false,
      mtls: false,
    });
  });
});
