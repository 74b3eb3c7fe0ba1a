/**
 * DPoP test clients: a key pair and proofs signed with jose exactly as RFC 9449 section 4.2 describes, with
 * every field overridable so tests can build malformed, stale and mismatched proofs.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { accessTokenHash } from '../../lambda/authorizer/dpop';

export interface DpopKey {
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint: the token's `cnf.jkt`. */
  readonly jkt: string;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(pair.publicKey);
  const privateJwk = await exportJWK(pair.privateKey);
  return {
    alg,
    privateKey: pair.privateKey,
    publicJwk,
    privateJwk,
    jkt: await calculateJwkThumbprint(publicJwk),
  };
}

export interface ProofOptions {
  readonly htm: string;
  readonly htu: string;
  /** The access token the proof is for (its hash becomes `ath`), or null for no `ath`. */
  readonly accessToken: string | null;
  /** Epoch seconds. @default now */
  readonly iat?: number;
  readonly jti?: string;
  /** Extra or replaced claims. */
  readonly claims?: Record<string, unknown>;
  /** Replaced header members (typ, jwk, alg). */
  readonly header?: Record<string, unknown>;
}

export async function dpopProof(key: DpopKey, o: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: o.jti ?? randomUUID(),
    htm: o.htm,
    htu: o.htu,
    iat: o.iat ?? Math.floor(Date.now() / 1000),
    ...(o.accessToken !== null ? { ath: accessTokenHash(o.accessToken) } : {}),
    ...o.claims,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...o.header } as never)
    .sign(key.privateKey);
}
