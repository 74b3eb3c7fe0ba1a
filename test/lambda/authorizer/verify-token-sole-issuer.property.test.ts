/**
 * Property: with one trusted issuer, the verifier leaves the payload to aws-jwt-verify and reads it itself
 * only when the library does not accept the token; with several issuers it reads the payload first, to
 * choose the issuer. Both must give the same answer for every token: the same acceptance, reason, facts and
 * principal. Tokens are validly signed with arbitrary header and claim changes, then optionally mutated.
 * Real keys of every algorithm, a real HTTPS JWKS.
 */
import { sign } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizerConfig, KeycloakIssuerConfig } from '../../../common/authorizer-config';
import type { TokenVerifier } from '../../../lambda/authorizer/types';
import { createTokenVerifier } from '../../../lambda/authorizer/verify-token';
import { startJwksServer } from '../../support/https-server';
import type { JwksServer } from '../../support/https-server';
import { generateKeyPerAlgorithm, jwksOf } from '../../support/keys';
import type { TestKey } from '../../support/keys';
import { b64url, keycloakAccessClaims, keycloakHeader, signJws } from '../../support/tokens';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const HEADER_KEYS = ['alg', 'kid', 'typ', 'crit', 'jku', 'jwk', 'x5c', '__proto__'];
const PAYLOAD_KEYS = [
  'iss',
  'sub',
  'exp',
  'nbf',
  'iat',
  'jti',
  'azp',
  'client_id',
  'aud',
  'typ',
  'realm_access',
  'resource_access',
  'scope',
  'groups',
  'cnf',
  'acr',
  'constructor',
];

type Change = { readonly at: 'header' | 'payload'; readonly key: string; readonly value: unknown };
type Mutation =
  | { kind: 'none' }
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'insert'; pos: number; ch: string }
  | { kind: 'delete'; pos: number };

const change: fc.Arbitrary<Change> = fc.oneof(
  fc.record({
    at: fc.constant('header' as const),
    key: fc.constantFrom(...HEADER_KEYS),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
  fc.record({
    at: fc.constant('payload' as const),
    key: fc.constantFrom(...PAYLOAD_KEYS),
    value: fc.jsonValue({ maxDepth: 2 }),
  }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 3 },
  fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 5 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    pos: fc.nat(),
    ch: fc.constantFrom(...`${B64URL}.=+/ é`),
  }),
  fc.record({ kind: fc.constant('delete' as const), pos: fc.nat() }),
);

function mutate(token: string, m: Mutation): string {
  if (m.kind === 'none') return token;
  const i = m.pos % token.length;
  if (m.kind === 'insert') return token.slice(0, i) + m.ch + token.slice(i);
  if (m.kind === 'delete') return token.slice(0, i) + token.slice(i + 1);
  const idx = B64URL.indexOf(token[i]);
  return idx < 0 ? token : token.slice(0, i) + B64URL[idx ^ (1 << m.bit)] + token.slice(i + 1);
}

/** A token signed over exactly these payload bytes (which need not be UTF-8). */
function signBytes(key: TestKey, payload: Buffer): string {
  const input = `${b64url(keycloakHeader(key.alg, key.kid))}.${payload.toString('base64url')}`;
  const hash = key.alg === 'EdDSA' ? null : `sha${key.alg.slice(2)}`;
  const signature = sign(hash, Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

describe('verify — property: one trusted issuer answers as several do', () => {
  let keys: TestKey[];
  let server: JwksServer;
  let issuer: string;
  let one: TokenVerifier;
  let several: TokenVerifier;

  beforeAll(async () => {
    keys = await generateKeyPerAlgorithm();
    server = await startJwksServer(jwksOf(...keys));
    issuer = `${server.url}/realms/test`;
    const trusted: KeycloakIssuerConfig = {
      kind: 'keycloak',
      issuer,
      allowedClients: ['web'],
      allowedAudiences: ['api'],
      // Explicit, so one issuer and several count the same client roles.
      roleClients: ['account', 'api'],
      algorithms: keys.map((k) => k.alg),
    };
    const config = (issuers: KeycloakIssuerConfig[]): AuthorizerConfig => ({
      version: 1,
      routes: [],
      issuers,
    });
    const deps = { requestOptions: { ca: server.ca } };
    one = createTokenVerifier(config([trusted]), deps);
    // A second issuer no token names: its JWKS is never fetched.
    several = createTokenVerifier(
      config([trusted, { kind: 'keycloak', issuer: 'https://other.example/realms/x', roleClients: [] }]),
      deps,
    );
  });
  afterAll(() => server.close());

  const base = () =>
    keycloakAccessClaims({
      issuer,
      aud: ['api', 'account'],
      realmRoles: ['reader'],
      extra: { resource_access: { api: { roles: ['writer'] }, account: { roles: ['view-profile'] } } },
    });

  it('the unchanged tokens verify on both (so the property below is not vacuous)', async () => {
    for (const key of keys) {
      const token = signJws(key, base());
      const [a, b] = [await one.verify(token), await several.verify(token)];
      expect(a).toMatchObject({ ok: true });
      expect(a).toEqual(b);
    }
  });

  it('a validly signed payload that is not UTF-8 is refused by both as token_malformed', async () => {
    const json = Buffer.from(JSON.stringify({ ...base(), preferred_username: 'xx' }));
    // Replace the two x with bytes that are not UTF-8.
    const at = json.indexOf('"xx"') + 1;
    json[at] = 0xff;
    json[at + 1] = 0xfe;
    const token = signBytes(keys[0], json);
    for (const v of [one, several]) {
      expect(await v.verify(token)).toMatchObject({ ok: false, reason: 'token_malformed' });
    }
  });

  // aws-jwt-verify accepts `=` padding and ignores the unused bits of a segment's last character; the
  // one-issuer path checks these after the library (inspectAcceptedShape), so each must still be refused.
  it.each([
    // 256 bytes are 342 characters unpadded, two `=` padded; their last character leaves 4 bits unused.
    ['padding on the signature', (input: string, sig: string) => `${input}.${sig}==`],
    [
      'a signature whose last character has an unused bit set',
      (input: string, sig: string) =>
        `${input}.${sig.slice(0, -1)}${B64URL[B64URL.indexOf(sig.at(-1) as string) | 1]}`,
    ],
  ])('a validly signed token with %s is refused by both as token_malformed', async (_, build) => {
    const key = keys.find((k) => k.alg === 'RS256') as TestKey;
    const [h, p, sig] = signJws(key, base()).split('.');
    const token = build(`${h}.${p}`, sig);
    expect(token).not.toBe(`${h}.${p}.${sig}`);
    for (const v of [one, several]) {
      expect(await v.verify(token)).toMatchObject({ ok: false, reason: 'token_malformed' });
    }
  });

  it('a token signed over a padded payload segment is refused by both as token_malformed', async () => {
    const key = keys.find((k) => k.alg === 'RS256') as TestKey;
    // A payload whose encoding needs padding (its length is not a multiple of 3 bytes).
    let claims = { ...base(), pad: '' };
    while (JSON.stringify(claims).length % 3 === 0) claims = { ...claims, pad: `${claims.pad}x` };
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64');
    expect(payload.endsWith('=')).toBe(true);
    const input = `${b64url(keycloakHeader(key.alg, key.kid))}.${payload.replaceAll('+', '-').replaceAll('/', '_')}`;
    const signature = sign('sha256', Buffer.from(input), key.privateKey).toString('base64url');
    for (const v of [one, several]) {
      expect(await v.verify(`${input}.${signature}`)).toMatchObject({ ok: false, reason: 'token_malformed' });
    }
  });

  it('signed with arbitrary header and claim changes, then mutated: the same answer from both', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 6 }),
        fc.array(change, { maxLength: 3 }),
        mutation,
        async (which, changes, m) => {
          const key = keys[which % keys.length];
          const header: Record<string, unknown> = { alg: key.alg, typ: 'JWT', kid: key.kid };
          const payload: Record<string, unknown> = { ...base() };
          for (const c of changes) (c.at === 'header' ? header : payload)[c.key] = c.value;
          const token = mutate(signJws(key, payload, header), m);
          const [a, b] = [await one.verify(token), await several.verify(token)];
          expect(a).toEqual(b);
          if (a.ok) accepted++;
        },
      ),
      { numRuns: 400 },
    );
    // Both kinds of answer were compared.
    expect(accepted).toBeGreaterThan(0);
  });
});
