/**
 * The seam inside the authorizer between token verification (verify-token.ts and friends, the only
 * importers of the JWT library) and the request pipeline (index.ts / handler.ts). No AWS types here.
 */
import type { TokenKind } from '../../common/identity-context';
import type { ReasonCode } from '../../common/reason-codes';
import type { Principal } from '../../common/route-model';
import type { TokenConfirmation } from '../../common/token-binding';

/**
 * A principal's entitlements. Interned: principals whose tokens carry the same entitlement claims share
 * one profile object, which is what per-entitlement memos (decisions, grants, context lists) are keyed on.
 */
export interface EntitlementProfile {
  readonly realmRoles: readonly string[];
  readonly clientRoles: readonly string[];
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  /**
   * What the route table works out for this profile (authorize.ts), kept with it: the profile cache's
   * entry holds its answers, so both live and go together. Non-enumerable: not an entitlement, so out of
   * JSON, logs and comparisons. Absent on profiles built by hand.
   */
  readonly answers?: object;
}

/** The verified caller, normalized from Keycloak or Cognito claims. */
export interface VerifiedPrincipal extends Principal {
  readonly username: string;
  /** `azp` (Keycloak) or `client_id` (Cognito / Keycloak service accounts). */
  readonly clientId: string;
  readonly issuer: string;
  readonly tokenKind: TokenKind;
  /** Seconds since epoch; the verified-claims cache and the decision log use it. */
  readonly expiresAt: number;
  /** `iat` and Keycloak's `sid`, for the revocation check (revocation-check.ts). */
  readonly issuedAt?: number;
  readonly sessionId?: string;
  /**
   * The interned entitlements this principal's lists come from (the same arrays). Absent on principals
   * built by hand; memos then fall back to the principal itself.
   */
  readonly profile?: EntitlementProfile;
  /** The token's `cnf` binding (DPoP key or client certificate thumbprint), when it has one. */
  readonly cnf?: TokenConfirmation;
  /**
   * With step-up routes: which of the table's step-up requirements the sign-in meets through the answer's
   * lifetime (step-up-gate.ts principalFor), part of the key of the profile's answers (authorize.ts).
   */
  readonly variant?: string;
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

/** Verifies a compact JWS and returns the principal, or a reason. Never rejects. */
export interface TokenVerifier {
  verify(token: string): Promise<VerifyResult>;
  /**
   * The result without waiting, or undefined when it needs a wait (a JWKS fetch): then `verify`. Lets the
   * warm path (a cached signing key, a verified-claims cache hit) skip the promise hops.
   * @default - none: every token goes through `verify`
   */
  verifySync?(token: string): VerifyResult | undefined;
}

/** Counts and timings the verifier reports (JWKS fetch failures become a metric). */
export interface VerifierEvents {
  jwksFetchFailed?(issuer: string, reason: string): void;
}
