/**
 * Test signing keys, generated with jose per algorithm, and their public JWKs as an IdP publishes them
 * (with `kid`, `alg`, `use`). Kids default to the RFC 7638 thumbprint, a 43-character base64url string
 * like Keycloak's.
 *
 *   const key = await generateSigningKey('ES256');
 *   const jwks = jwksOf(key.publicJwk, await generateEncryptionJwk());
 */
import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import type { SignatureAlgorithm } from '../../common/authorizer-config';
import { SIGNATURE_ALGORITHMS } from '../../common/authorizer-config';

export { SIGNATURE_ALGORITHMS };
export type { SignatureAlgorithm };

export interface TestKey {
  readonly alg: SignatureAlgorithm;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Public JWK with kid, alg and `use: sig`. */
  readonly publicJwk: JWK;
}

export interface Jwks {
  readonly keys: JWK[];
}

/** A fresh key pair for `alg`. EdDSA uses Ed25519 unless `crv: 'Ed448'`; `kid` defaults to the thumbprint. */
export async function generateSigningKey(
  alg: SignatureAlgorithm = 'RS256',
  opts: { kid?: string; crv?: 'Ed25519' | 'Ed448' } = {},
): Promise<TestKey> {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  if (opts.crv === 'Ed448') {
    // jose (WebCrypto) generates Ed25519 only; node:crypto has Ed448.
    ({ privateKey, publicKey } = generateKeyPairSync('ed448'));
  } else {
    const pair = await generateKeyPair(alg, { extractable: true });
    privateKey = KeyObject.from(pair.privateKey);
    publicKey = KeyObject.from(pair.publicKey);
  }
  const jwk = await exportJWK(publicKey);
  const kid = opts.kid ?? (await calculateJwkThumbprint(jwk));
  return { alg, kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** One key per supported algorithm (RS256/384/512, ES256/384/512, EdDSA). */
export async function generateKeyPerAlgorithm(): Promise<TestKey[]> {
  return Promise.all(SIGNATURE_ALGORITHMS.map((alg) => generateSigningKey(alg)));
}

/** An RSA-OAEP encryption key as Keycloak publishes it next to its signing key (`use: enc`). */
export async function generateEncryptionJwk(kid?: string): Promise<JWK> {
  const pair = await generateKeyPair('RSA-OAEP', { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return { ...jwk, kid: kid ?? (await calculateJwkThumbprint(jwk)), alg: 'RSA-OAEP', use: 'enc' };
}

export function jwksOf(...keys: (TestKey | JWK)[]): Jwks {
  return { keys: keys.map((k) => ('publicJwk' in k ? (k.publicJwk as JWK) : k)) };
}
