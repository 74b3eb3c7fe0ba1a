/**
 * PKCE (RFC 7636) with S256 and the random `state` / `nonce` values of the login. node:crypto only.
 */
import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes → 43 base64url characters: the RFC 7636 §4.1 recommended verifier. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function pkceChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
