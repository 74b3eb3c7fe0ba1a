/**
 * Entry point of the authorizer's cognito module (`cognito.js` beside `index.js` in the deployed bundle, a
 * deferred module: lib/internal/lambda-entries.ts), loaded at cold start only by a configuration that
 * trusts a Cognito user pool: the checks of a `cognito` issuer (common/cognito-issuer.ts),
 * aws-jwt-verify's Cognito verifier (verify-token.ts builds one per pool) and the mapping of a Cognito
 * token's entitlement claims (cognito-claims.ts). An authorizer trusting only
 * Keycloak realms never reads, parses or compiles this code.
 */
import { CognitoJwtVerifier } from 'aws-jwt-verify/cognito-verifier';
import type { CognitoIssuerConfig } from '../../common/authorizer-config';
import type { RateLimitedJwksCache } from './jwks-cache';
import type { IssuerVerifier } from './verify-token';

export { validateCognitoIssuer } from '../../common/cognito-issuer';
export { cognitoEntitlements } from './cognito-claims';

/**
 * aws-jwt-verify's verifier of one user pool's access tokens (token_use `access`, an allowed client_id),
 * reading keys from the shared JWKS cache.
 */
export function cognitoIssuerVerifier(
  c: CognitoIssuerConfig,
  jwksCache: RateLimitedJwksCache,
  graceSeconds: number,
): IssuerVerifier {
  return CognitoJwtVerifier.create(
    { userPoolId: c.userPoolId, tokenUse: 'access', clientId: [...c.allowedClients], graceSeconds },
    { jwksCache },
  );
}
