import { describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../common/authorizer-config-validate';
import type { RouteSpec } from '../../common/route-model';
import {
  acrValuesFor,
  assuranceOf,
  joinStepUp,
  meetsStepUp,
  stepUpChallenge,
  stepUpLoginOf,
  validateStepUp,
} from '../../common/step-up';
import { validateAcrLoaMap } from '../../common/step-up-checks';

const MAP = { silver: 1, gold: 2, platinum: 3, bronze: 1 };
const ISSUER = 'https://sso.example.com/realms/keygate';

describe('assuranceOf', () => {
  it('reads acr through the issuer map, amr and auth_time', () => {
    expect(assuranceOf({ acr: 'gold', amr: ['pwd', 'otp'], auth_time: 1000 }, MAP)).toEqual({
      acr: 'gold',
      loa: 2,
      amr: ['pwd', 'otp'],
      authTime: 1000,
    });
  });

  it.each([
    [
      'an acr the map does not define',
      { acr: 'diamond' },
      MAP,
      { acr: 'diamond', acrUnknown: true, amr: [] },
    ],
    [
      'an inherited property name as acr',
      { acr: 'toString' },
      MAP,
      { acr: 'toString', acrUnknown: true, amr: [] },
    ],
    ['an acr without a map', { acr: '1' }, undefined, { acr: '1', amr: [] }],
    ['a numeric acr', { acr: 2 }, MAP, { amr: [] }],
    ['amr a string', { amr: 'otp' }, MAP, { amr: [] }],
    ['amr with a number', { amr: ['otp', 1] }, MAP, { amr: [] }],
    ['auth_time a string', { auth_time: '1000' }, MAP, { amr: [] }],
    ['auth_time not finite', { auth_time: Number.POSITIVE_INFINITY }, MAP, { amr: [] }],
  ])('%s: no level, no method, no time', (_n, claims, map, expected) => {
    expect(assuranceOf(claims, map)).toEqual(expected);
  });
});

describe('meetsStepUp', () => {
  const signIn = { loa: 2, amr: ['pwd', 'otp'], authTime: 1000, validThrough: 1500 };
  it.each([
    [{ minLoa: 2 }, true],
    [{ minLoa: 3 }, false],
    [{ amr: ['otp'] }, true],
    [{ amr: ['otp', 'hwk'] }, false],
    [{ maxAgeSeconds: 500 }, true],
    [{ maxAgeSeconds: 499 }, false],
    [{ minLoa: 1, amr: ['pwd'], maxAgeSeconds: 600 }, true],
  ])('%j -> %s', (req, expected) => {
    expect(meetsStepUp(req, signIn)).toBe(expected);
  });

  it('fails closed without facts: no assurance, no level, no auth_time, no instant', () => {
    expect(meetsStepUp({ minLoa: 0 }, undefined)).toBe(false);
    expect(meetsStepUp({ minLoa: 0 }, { amr: [] })).toBe(false);
    expect(meetsStepUp({ maxAgeSeconds: 10 }, { amr: [], validThrough: 5 })).toBe(false);
    expect(meetsStepUp({ maxAgeSeconds: 10 }, { amr: [], authTime: 5 })).toBe(false);
  });
});

describe('challenges', () => {
  it('lists the acr values of the level or above, lowest level first, ties by name', () => {
    expect(acrValuesFor(MAP, 1)).toEqual(['bronze', 'silver', 'gold', 'platinum']);
    expect(acrValuesFor(MAP, 3)).toEqual(['platinum']);
    expect(acrValuesFor(MAP, 4)).toEqual([]);
  });

  it('writes the RFC 9470 challenge', () => {
    expect(stepUpChallenge({ minLoa: 2, maxAgeSeconds: 900 }, MAP)).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A stronger or more recent sign-in is required", acr_values="gold platinum", max_age=900',
    );
    expect(stepUpChallenge({ amr: ['otp'] }, MAP)).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A stronger or more recent sign-in is required with otp"',
    );
  });

  it('joins requirements into one that meets them all', () => {
    expect(
      joinStepUp([{ minLoa: 1, maxAgeSeconds: 900 }, { minLoa: 3, amr: ['otp'] }, { maxAgeSeconds: 600 }]),
    ).toEqual({ minLoa: 3, amr: ['otp'], maxAgeSeconds: 600 });
    expect(joinStepUp([])).toBeUndefined();
  });
});

describe('stepUpLoginOf', () => {
  it.each([
    [
      { acr_values: 'gold platinum', max_age: '900' },
      { acrValues: 'gold platinum', maxAge: 900 },
    ],
    [{ acr_values: ' gold  ' }, { acrValues: 'gold' }],
    [{ acr_values: 'go"ld' }, {}],
    [{ acr_values: 'a b c d e f g h i' }, {}],
    [{ max_age: '0' }, { maxAge: 0 }],
    [{ max_age: '86401' }, {}],
    [{ max_age: '1e3' }, {}],
    [{ max_age: '-1' }, {}],
    [{}, {}],
  ])('%j -> %j', (query, expected) => {
    expect(stepUpLoginOf(query)).toEqual(expected);
  });
});

describe('validation', () => {
  it.each([
    [{}, ['s must set minLoa, amr or maxAgeSeconds']],
    [{ minLoa: 1.5 }, ['s.minLoa must be an integer from 0 to 100']],
    [{ amr: [] }, ['s.amr must be a non-empty list of method names (letters, digits, . _ : ~ + / -)']],
    [{ amr: ['o"tp'] }, ['s.amr must be a non-empty list of method names (letters, digits, . _ : ~ + / -)']],
    [{ maxAgeSeconds: 0 }, ['s.maxAgeSeconds must be an integer from 1 to 86400']],
    [{ minLoa: 1, level: 2 }, ['s.level is not a step-up field (minLoa, amr, maxAgeSeconds)']],
    ['gold', ['s must be an object']],
  ])('stepUp %j', (input, expected) => {
    expect(validateStepUp(input, 's')).toEqual(expected);
  });

  it.each([
    [{}, ['m must map at least one acr value to a level']],
    [{ gold: '2' }, ['m.gold must be an integer level from 0 to 100']],
    [{ 'go ld': 2 }, ["m: 'go ld' is not an acr value (letters, digits, . _ : ~ + / -, at most 64)"]],
    [[1], ['m must be an object']],
  ])('acrLoaMap %j', (input, expected) => {
    expect(validateAcrLoaMap(input, 'm')).toEqual(expected);
  });

  const route = (stepUp: object): RouteSpec =>
    ({ method: 'POST', path: '/x', auth: 'keycloak', requirement: { stepUp } }) as RouteSpec;
  const config = (over: Partial<AuthorizerConfig>): AuthorizerConfig => ({
    version: 1,
    issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['web'], acrLoaMap: MAP }],
    routes: [],
    resultCacheTtlSeconds: 300,
    ...over,
  });

  it('accepts a level the issuer maps and an age above the TTL', () => {
    const c = config({ routes: [route({ minLoa: 3, maxAgeSeconds: 301 })] });
    expect(validateAuthorizerConfig(c)).toEqual({ ok: true, config: c });
  });

  it.each([
    [
      'a level no acr of the issuer reaches',
      config({ routes: [route({ minLoa: 4 })] }),
      'routes',
      `routes[0] (POST /x).requirement.stepUp.minLoa: issuer ${ISSUER} maps no acr to level 4 or above; set its acrLoaMap (Keycloak's acr.loa.map)`,
    ],
    [
      'a level with an issuer without a map',
      config({
        issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['web'] }],
        routes: [route({ minLoa: 1 })],
      }),
      'routes',
      `routes[0] (POST /x).requirement.stepUp.minLoa: issuer ${ISSUER} declares no acrLoaMap, so no acr reaches level 1 or above; set its acrLoaMap (Keycloak's acr.loa.map)`,
    ],
    [
      'an age bound no longer than the TTL',
      config({ routes: [route({ maxAgeSeconds: 300 })] }),
      'routes',
      'routes[0] (POST /x).requirement.stepUp.maxAgeSeconds (300) must exceed the authorizer result cache TTL (300 s): ' +
        'a cached answer is replayed for up to the TTL, so the route is granted only while the sign-in stays within ' +
        'maxAgeSeconds for that long; lower resultCacheTtlSeconds',
    ],
    [
      'an age bound with the TTL unknown',
      config({ routes: [route({ maxAgeSeconds: 900 })], resultCacheTtlSeconds: undefined }),
      'routes',
      'routes[0] (POST /x).requirement.stepUp.maxAgeSeconds (900) must exceed the authorizer result cache TTL (unknown, taken as 3600 s): ' +
        'a cached answer is replayed for up to the TTL, so the route is granted only while the sign-in stays within ' +
        'maxAgeSeconds for that long; lower resultCacheTtlSeconds',
    ],
    [
      'a malformed acrLoaMap',
      config({
        issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['web'], acrLoaMap: { gold: -1 } }],
      }),
      'issuers[0].acrLoaMap',
      'issuers[0].acrLoaMap.gold must be an integer level from 0 to 100',
    ],
  ])('refuses %s', (_n, c, path, message) => {
    expect(validateAuthorizerConfig(c)).toEqual({
      ok: false,
      errors: [message],
      issues: [{ path, message }],
    });
  });
});
