/**
 * Property: no mutation of a valid token verifies, and verify() never throws — whatever the bytes.
 * Real keys, a real HTTPS JWKS; every algorithm.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REASON_CODES } from '../../../common/reason-codes';
import type { TokenVerifier } from '../../../lambda/authorizer/types';
import { createTokenVerifier } from '../../../lambda/authorizer/verify-token';
import { startJwksServer } from '../../support/https-server';
import type { JwksServer } from '../../support/https-server';
import { generateKeyPerAlgorithm, jwksOf } from '../../support/keys';
import type { TestKey } from '../../support/keys';
import { b64url, keycloakAccessToken } from '../../support/tokens';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEADER_KEYS = ['alg', 'kid', 'typ', 'crit', 'jku', 'jwk', 'x5c', 'b64', '__proto__'];
const PAYLOAD_KEYS = [
  'iss',
  'sub',
  'exp',
  'nbf',
  'iat',
  'azp',
  'aud',
  'typ',
  'realm_access',
  'resource_access',
  'scope',
  'groups',
  'constructor',
];

type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'insert'; pos: number; ch: string }
  | { kind: 'delete'; pos: number }
  | { kind: 'header' | 'payload'; key: string; value: unknown }
  | { kind: 'resign-header-only'; alg: string }
  | { kind: 'concat' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ kind: fc.constant('truncate' as const), keep: fc.nat() }),
  fc.record({
    kind: fc.constant('swap' as const),
    a: fc.integer({ min: 0, max: 2 }),
    b: fc.integer({ min: 0, max: 2 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    pos: fc.nat(),
    ch: fc.constantFrom(...`${B64URL}.=+/ \u0000é`),
  }),
  fc.record({ kind: fc.constant('delete' as const), pos: fc.nat() }),
  fc.record({
    kind: fc.constant('header' as const),
    key: fc.constantFrom(...HEADER_KEYS),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({
    kind: fc.constant('payload' as const),
    key: fc.constantFrom(...PAYLOAD_KEYS),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({
    kind: fc.constant('resign-header-only' as const),
    alg: fc.constantFrom('none', 'NONE', 'HS256', 'RS256', 'ES256', 'EdDSA'),
  }),
  fc.constant({ kind: 'concat' as const }),
);

function apply(token: string, m: Mutation): string {
  const parts = token.split('.');
  switch (m.kind) {
    case 'flip': {
      const i = m.pos % token.length;
      const idx = B64URL.indexOf(token[i]);
      if (idx < 0) return token; // a dot
      return token.slice(0, i) + B64URL[idx ^ (1 << m.bit)] + token.slice(i + 1);
    }
    case 'truncate':
      return token.slice(0, m.keep % token.length);
    case 'swap': {
      const p = [...parts];
      [p[m.a], p[m.b]] = [p[m.b], p[m.a]];
      return p.join('.');
    }
    case 'insert': {
      const i = m.pos % (token.length + 1);
      return token.slice(0, i) + m.ch + token.slice(i);
    }
    case 'delete': {
      const i = m.pos % token.length;
      return token.slice(0, i) + token.slice(i + 1);
    }
    case 'header':
    case 'payload': {
      const at = m.kind === 'header' ? 0 : 1;
      let obj: Record<string, unknown>;
      try {
        obj = JSON.parse(Buffer.from(parts[at] ?? '', 'base64url').toString());
      } catch {
        return token;
      }
      if (typeof obj !== 'object' || obj === null) return token;
      const p = [...parts];
      p[at] = b64url(JSON.stringify({ ...obj, [m.key]: m.value }));
      return p.join('.');
    }
    case 'resign-header-only': {
      const p = [...parts];
      p[0] = b64url(JSON.stringify({ alg: m.alg, typ: 'JWT' }));
      return p.join('.');
    }
    case 'concat':
      return `${token}${token}`;
  }
}

describe('verify — property: mutated tokens never verify, and verify never throws', () => {
  let keys: TestKey[];
  let server: JwksServer;
  let verifier: TokenVerifier;
  let issuer: string;

  beforeAll(async () => {
    keys = await generateKeyPerAlgorithm();
    server = await startJwksServer(jwksOf(...keys));
    issuer = `${server.url}/realms/test`;
    verifier = createTokenVerifier(
      {
        version: 1,
        routes: [],
        issuers: [{ kind: 'keycloak', issuer, allowedClients: ['web'], algorithms: keys.map((k) => k.alg) }],
      },
      { requestOptions: { ca: server.ca } },
    );
  });
  afterAll(() => server.close());

  it('the unmutated tokens verify (so the property below is not vacuous)', async () => {
    for (const key of keys) {
      expect(await verifier.verify(keycloakAccessToken(key, { issuer }))).toMatchObject({ ok: true });
    }
  });

  it('no mutation of a valid token verifies, and every refusal carries a known, expected reason', async () => {
    const tokens = keys.map((key) => keycloakAccessToken(key, { issuer, realmRoles: ['reader'] }));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: tokens.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (which, mutations) => {
          const original = tokens[which];
          const mutated = mutations.reduce(apply, original);
          fc.pre(mutated !== original);
          const result = await verifier.verify(mutated);
          expect(result.ok).toBe(false);
          if (!result.ok) {
            expect(Object.keys(REASON_CODES)).toContain(result.reason);
            // A library error we did not map would surface as internal_error.
            expect(result.reason, result.detail).not.toBe('internal_error');
          }
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('arbitrary strings never verify and never throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: fc.constantFrom(...`${B64URL}.`), maxLength: 400 }),
        ),
        async (s) => {
          const result = await verifier.verify(s);
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
