import { beforeAll, describe, expect, it } from 'vitest';
import type { DpopCheckInput } from '../../../lambda/authorizer/dpop';
import { MAX_PROOF_LENGTH, checkDpopProof, normalizeHtu } from '../../../lambda/authorizer/dpop';
import type { ReasonCode } from '../../../common/reason-codes';
import { DPOP_DEFAULTS } from '../../../common/token-binding';
import type { ProofOptions } from '../../support/dpop';
import { type DpopKey, dpopKey, dpopProof } from '../../support/dpop';

const NOW = 1_760_000_000;
const URL_ = 'https://api.example.com/models/sentiment/invoke';
const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';
let key: DpopKey;
let other: DpopKey;
let rsa: DpopKey;
beforeAll(async () => {
  [key, other, rsa] = await Promise.all([dpopKey('ES256'), dpopKey('ES256'), dpopKey('RS256')]);
});

function input(proof: string | string[], o: Partial<DpopCheckInput> = {}): DpopCheckInput {
  return {
    proofs: Array.isArray(proof) ? proof : [proof],
    accessToken: TOKEN,
    jkt: key.jkt,
    method: 'POST',
    url: URL_,
    algorithms: DPOP_DEFAULTS.algorithms,
    maxAgeSeconds: 60,
    skewSeconds: 30,
    now: NOW,
    ...o,
  };
}

const proof = (o: Partial<ProofOptions> = {}, k = key) =>
  dpopProof(k, { htm: 'POST', htu: URL_, accessToken: TOKEN, iat: NOW, ...o });

describe('checkDpopProof', () => {
  it('accepts a proof for this method, URL and token, signed with the bound key', async () => {
    const r = await checkDpopProof(input(await proof({ jti: 'j-1' })));
    expect(r).toEqual({ ok: true, jti: 'j-1', jkt: key.jkt, iat: NOW });
  });

  it('accepts RS256 proofs and a URL differing only in normalisation, query and fragment', async () => {
    const p = await dpopProof(rsa, {
      htm: 'POST',
      htu: 'HTTPS://API.example.com:443/models/%73entiment/./invoke?x=1#f',
      accessToken: TOKEN,
      iat: NOW,
    });
    const r = await checkDpopProof(input(p, { jkt: rsa.jkt, url: `${URL_}?y=2` }));
    expect(r.ok).toBe(true);
  });

  const cases: [string, () => Promise<DpopCheckInput>, ReasonCode][] = [
    ['no proof header', async () => input([]), 'dpop_proof_missing'],
    ['two proof headers', async () => input([await proof(), await proof()]), 'dpop_proof_missing'],
    ['an empty proof', async () => input('  '), 'dpop_proof_missing'],
    ['not a JWS', async () => input('not.a-jws'), 'dpop_proof_malformed'],
    ['an oversized proof', async () => input(`a.${'b'.repeat(MAX_PROOF_LENGTH)}.c`), 'dpop_proof_malformed'],
    ['typ JWT', async () => input(await proof({ header: { typ: 'JWT' } })), 'dpop_proof_malformed'],
    ['no jwk', async () => input(await proof({ header: { jwk: undefined } })), 'dpop_proof_malformed'],
    [
      'a jwk with the private key',
      async () => input(await proof({ header: { jwk: key.privateJwk } })),
      'dpop_proof_malformed',
    ],
    [
      'a jwk of another key (signature fails)',
      async () => input(await proof({ header: { jwk: other.publicJwk } })),
      'dpop_proof_invalid',
    ],
    [
      'an algorithm outside the allow-list',
      async () => input(await proof({}, rsa), { jkt: rsa.jkt, algorithms: ['ES256'] }),
      'dpop_proof_invalid',
    ],
    ['no jti', async () => input(await proof({ claims: { jti: undefined } })), 'dpop_proof_malformed'],
    [
      'a jti of 257 characters',
      async () => input(await proof({ jti: 'j'.repeat(257) })),
      'dpop_proof_malformed',
    ],
    ['no ath', async () => input(await proof({ accessToken: null })), 'dpop_proof_malformed'],
    ['no iat', async () => input(await proof({ claims: { iat: undefined } })), 'dpop_proof_malformed'],
    [
      'iat 91 s ago (max age 60 + skew 30)',
      async () => input(await proof({ iat: NOW - 91 })),
      'dpop_proof_stale',
    ],
    ['iat 31 s ahead (skew 30)', async () => input(await proof({ iat: NOW + 31 })), 'dpop_proof_stale'],
    ['htm GET for a POST', async () => input(await proof({ htm: 'GET' })), 'dpop_proof_mismatch'],
    ['htm post in lower case', async () => input(await proof({ htm: 'post' })), 'dpop_proof_mismatch'],
    [
      'htu of another path',
      async () => input(await proof({ htu: 'https://api.example.com/models/other/invoke' })),
      'dpop_proof_mismatch',
    ],
    [
      'htu of another host',
      async () => input(await proof({ htu: 'https://evil.example.com/models/sentiment/invoke' })),
      'dpop_proof_mismatch',
    ],
    [
      'htu over http',
      async () => input(await proof({ htu: URL_.replace('https', 'http') })),
      'dpop_proof_mismatch',
    ],
    ['htu not a URL', async () => input(await proof({ htu: 'models/sentiment' })), 'dpop_proof_mismatch'],
    [
      'ath of another token',
      async () => input(await proof({ accessToken: `${TOKEN}x` })),
      'dpop_proof_mismatch',
    ],
    ['a proof key other than cnf.jkt', async () => input(await proof({}, other)), 'dpop_key_mismatch'],
    ['a token without cnf.jkt', async () => input(await proof(), { jkt: undefined }), 'dpop_binding_missing'],
  ];

  it.each(cases)('refuses %s', async (_name, make, reason) => {
    const r = await checkDpopProof(await make());
    expect(r.ok).toBe(false);
    expect(r.ok ? undefined : r.reason).toBe(reason);
  });
});

describe('normalizeHtu', () => {
  it.each([
    ['HTTPS://Api.Example.COM:443/a/../b', 'https://api.example.com/b'],
    ['https://api.example.com', 'https://api.example.com/'],
    ['https://api.example.com/a%2fb%7e', 'https://api.example.com/a%2Fb~'],
    ['https://api.example.com:8443/x?q#f', 'https://api.example.com:8443/x'],
    ['http://127.0.0.1:80/x', 'http://127.0.0.1/x'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeHtu(raw)).toBe(expected);
  });

  it.each(['ftp://x/y', 'relative/path', 'https://user:pw@api.example.com/'])('refuses %s', (raw) => {
    expect(normalizeHtu(raw)).toBeUndefined();
  });
});
