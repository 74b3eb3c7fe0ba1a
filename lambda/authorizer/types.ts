/**
 * The seam inside the authorizer between token verification (verify-token.ts and friends, the only
 * importers of the JWT library) and the request pipeline (index.ts / handler.ts). No AWS types here.
 */
import type { TokenKind } from '../../common/identity-context';
import type { ReasonCode } from '../../common/reason-codes';
import type { Principal } from '../../common/route-model';

/** The verified caller, normalized from Keycloak or Cognito claims. */
export interface VerifiedPrincipal extends Principal {
  readonly username: string;
  /** `azp` (Keycloak) or `client_id` (Cognito / Keycloak service accounts). */
  readonly clientId: string;
  readonly issuer: string;
  readonly tokenKind: TokenKind;
  /** Seconds since epoch; the verified-claims cache and the decision log use it. */
  readonly expiresAt: number;
}

/** Non-secret facts about a token, safe for the decision log (never the token or its claims). */
export interface TokenFacts {
  readonly iss?: string;
  readonly kid?: string;
  readonly sub?: string;
  readonly azp?: string;
  readonly alg?: string;
}

export type VerifyResult =
  | {
      readonly ok: true;
      readonly principal: VerifiedPrincipal;
      readonly facts: TokenFacts;
      readonly cached: boolean;
    }
  | { readonly ok: false; readonly reason: ReasonCode; readonly facts: TokenFacts; readonly detail?: string };

/** Verifies a compact JWS and returns the principal, or a reason. Never throws. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifyResult>;
}

/** Counts and timings the verifier reports (JWKS fetch failures become a metric). */
export interface VerifierEvents {
  jwksFetchFailed?(issuer: string, reason: string): void;
}
