import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectToken, MAX_KID_LENGTH, MAX_TOKEN_LENGTH } from '../../../lambda/authorizer/inspect-token';
import { b64url, keycloakHeader, rawToken } from '../../support/tokens';

const KID = 'hAg04UyU4mu1YKj6CZUYjMP31O5wgaXQKYUU2OgvjsE';
const PAYLOAD = JSON.stringify({
  iss: 'https://sso.example/realms/ml',
  sub: 'u1',
  azp: 'web',
  exp: 2_000_000_000,
});
const token = (header: unknown, payload: string = PAYLOAD, sig = 'c2ln') =>
  rawToken(typeof header === 'string' ? header : JSON.stringify(header), payload, sig);

describe('inspectToken', () => {
  it('accepts Keycloak header bytes and reports the facts', () => {
    const result = inspectToken(token(keycloakHeader('RS256', KID)));
    expect(result).toMatchObject({
      ok: true,
      alg: 'RS256',
      facts: { alg: 'RS256', kid: KID, iss: 'https://sso.example/realms/ml', sub: 'u1', azp: 'web' },
    });
  });

  it.each([
    ['none', 'none'],
    ['NONE', 'NONE'],
    ['None', 'None'],
    ['HS256', 'HS256'],
    ['HS512', 'HS512'],
    ['PS256', 'PS256'],
    ['rs256 (case)', 'rs256'],
    ['empty', ''],
  ])('refuses alg %s with alg_not_allowed', (_name, alg) => {
    expect(inspectToken(token({ alg, kid: KID }, PAYLOAD, ''))).toMatchObject({
      ok: false,
      reason: 'alg_not_allowed',
    });
    expect(inspectToken(token({ alg, kid: KID }))).toMatchObject({ ok: false, reason: 'alg_not_allowed' });
  });

  it.each(['jwk', 'jku', 'x5u', 'x5c', 'crit'])('refuses a header carrying %s', (param) => {
    expect(inspectToken(token({ alg: 'RS256', kid: KID, [param]: 'x' }))).toMatchObject({
      ok: false,
      reason: 'header_forbidden',
      detail: `header carries ${param}`,
    });
  });

  it('accepts harmless header parameters (typ, x5t, cty)', () => {
    expect(
      inspectToken(token({ alg: 'EdDSA', typ: 'at+jwt', kid: KID, x5t: 'abc', cty: 'JWT' })),
    ).toMatchObject({ ok: true });
  });

  it.each<[string, unknown]>([
    ['missing', undefined],
    ['empty', ''],
    ['with a space', "' OR 1=1"],
    ['with a NUL', 'a\u0000'],
    ['non-ASCII', 'kïd'],
    ['too long', 'k'.repeat(MAX_KID_LENGTH + 1)],
    ['a number', 7],
    ['an object', { $ne: null }],
  ])('refuses a kid %s with kid_unknown', (_name, kid) => {
    expect(inspectToken(token({ alg: 'RS256', kid }))).toMatchObject({ ok: false, reason: 'kid_unknown' });
  });

  it('lets a path-like kid through to the JWKS lookup (where it is simply not found)', () => {
    expect(inspectToken(token({ alg: 'RS256', kid: '../../x' }))).toMatchObject({ ok: true });
  });

  it.each<[string, unknown]>([
    ['not a string', 42],
    ['empty', ''],
    ['one segment', 'abc'],
    ['two segments', 'abc.def'],
    ['four segments', 'a.b.c.d'],
    ['empty header', `.${b64url(PAYLOAD)}.c2ln`],
    ['empty payload', `${b64url(keycloakHeader('RS256', KID))}..c2ln`],
    ['empty signature', `${b64url(keycloakHeader('RS256', KID))}.${b64url(PAYLOAD)}.`],
    ['standard base64 + and /', `${b64url(keycloakHeader('RS256', KID))}.${b64url(PAYLOAD)}.ab+/`],
    ['padding', `${b64url(keycloakHeader('RS256', KID))}.${b64url(PAYLOAD)}==.c2ln`],
    ['impossible base64 length', `${b64url(keycloakHeader('RS256', KID))}.${b64url(PAYLOAD)}.abcde`],
    ['whitespace', ` ${b64url(keycloakHeader('RS256', KID))}.${b64url(PAYLOAD)}.c2ln`],
    ['header not JSON', token('{"alg":"RS256"')],
    ['header a JSON string', token('"RS256"')],
    ['payload a JSON array', token(keycloakHeader('RS256', KID), '[]')],
    [
      'payload invalid UTF-8',
      `${b64url(keycloakHeader('RS256', KID))}.${Buffer.from([0xc3, 0x28]).toString('base64url')}.c2ln`,
    ],
    ['too long', token(keycloakHeader('RS256', KID), JSON.stringify({ x: 'y'.repeat(MAX_TOKEN_LENGTH) }))],
  ])('refuses %s with token_malformed', (_name, input) => {
    expect(inspectToken(input)).toMatchObject({ ok: false, reason: 'token_malformed' });
  });

  it('refuses a signature in non-canonical base64url (unused low bits set)', () => {
    // "AB" decodes to the byte 0x00, as does the canonical "AA": two spellings of one signature.
    expect(inspectToken(token(keycloakHeader('RS256', KID), PAYLOAD, 'AB'))).toMatchObject({
      ok: false,
      reason: 'token_malformed',
      detail: 'signature is not canonical base64url',
    });
    expect(inspectToken(token(keycloakHeader('RS256', KID), PAYLOAD, 'AA'))).toMatchObject({ ok: true });
  });

  it('judges a signature canonical exactly when decoding and re-encoding gives it back', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('');
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...alphabet), { minLength: 2, maxLength: 12 }).map((c) => c.join('')),
        (sig) => {
          fc.pre(sig.length % 4 !== 1);
          const canonical = Buffer.from(sig, 'base64url').toString('base64url') === sig;
          const result = inspectToken(token(keycloakHeader('RS256', KID), PAYLOAD, sig));
          expect(result.ok).toBe(canonical);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['ES256', 64],
    ['ES384', 96],
    ['ES512', 132],
  ])('requires a %s signature of exactly %i bytes', (alg, length) => {
    const sig = (n: number) => Buffer.alloc(n, 7).toString('base64url');
    expect(inspectToken(token({ alg, kid: KID }, PAYLOAD, sig(length)))).toMatchObject({ ok: true });
    for (const n of [length - 1, length + 1, 1]) {
      expect(inspectToken(token({ alg, kid: KID }, PAYLOAD, sig(n)))).toMatchObject({
        ok: false,
        reason: 'signature_invalid',
      });
    }
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['exp a string', { exp: '1' }, 'claim_missing'],
    ['nbf null', { nbf: null }, 'claim_missing'],
    ['iat NaN-like object', { iat: {} }, 'claim_missing'],
    ['sub a number', { sub: 1 }, 'claim_missing'],
    ['jti a list', { jti: [] }, 'claim_missing'],
    ['aud a number', { aud: 1 }, 'claim_missing'],
    ['aud a mixed list', { aud: ['a', 1] }, 'claim_missing'],
    ['scope a list', { scope: ['openid'] }, 'claims_malformed'],
  ])('refuses a registered claim that is %s', (_name, claims, reason) => {
    const payload = JSON.stringify({ ...JSON.parse(PAYLOAD), ...claims });
    expect(inspectToken(token(keycloakHeader('RS256', KID), payload))).toMatchObject({ ok: false, reason });
  });

  it('bounds the facts and strips control characters from them', () => {
    const payload = JSON.stringify({ iss: `https://x/${'a'.repeat(1000)}`, sub: 'evil\nline', azp: 'web' });
    const result = inspectToken(token(keycloakHeader('RS256', KID), payload));
    expect(result.facts.iss?.length).toBe(256);
    expect(result.facts.sub).toBe('evilline');
  });

  it('keeps the facts of a token it refuses (for the decision log)', () => {
    expect(inspectToken(token({ alg: 'none', kid: KID }))).toMatchObject({
      ok: false,
      facts: { alg: 'none', kid: KID, iss: 'https://sso.example/realms/ml' },
    });
  });
});
