/**
 * Chooses the trusted issuer by an exact match of the unverified `iss`, before any network call: a token
 * naming an issuer we do not trust is refused without fetching anything, so an attacker cannot make the
 * authorizer contact a host of their choosing. No normalisation — a trailing slash, `http` for `https`,
 * another realm or Keycloak's legacy `/auth/realms/...` path are all different issuers.
 */
import type { IssuerConfig, SignatureAlgorithm } from '../../common/authorizer-config';
import { DEFAULTS, issuerUrl, roleClientsOf } from '../../common/authorizer-config';

export interface TrustedIssuer {
  /** The configured issuer URL (the regional one for Cognito). */
  readonly url: string;
  readonly config: IssuerConfig;
  /** Header `alg` values accepted for this issuer. */
  readonly algorithms: ReadonlySet<SignatureAlgorithm>;
  /** Clients whose roles count as client roles of this issuer's tokens; undefined for every client. */
  readonly roleClients: ReadonlySet<string> | undefined;
}

/** Cognito user pools sign with RS256 only. */
const COGNITO_ALGORITHMS: readonly SignatureAlgorithm[] = ['RS256'];

/**
 * Builds the `iss` → issuer index once per container. A Cognito pool is reachable by its regional issuer
 * and by the newer `issuer-cognito-idp.<region>.amazonaws.com` form (Cognito "federation endpoints",
 * user pool OIDC issuer), which CognitoJwtVerifier accepts too (awslabs/aws-jwt-verify#239).
 */
export function indexIssuers(issuers: readonly IssuerConfig[]): ReadonlyMap<string, TrustedIssuer> {
  const index = new Map<string, TrustedIssuer>();
  for (const config of issuers) {
    const url = issuerUrl(config);
    const algorithms = new Set(
      config.kind === 'keycloak' ? (config.algorithms ?? DEFAULTS.algorithms) : COGNITO_ALGORITHMS,
    );
    const trusted: TrustedIssuer = {
      url,
      config,
      algorithms,
      roleClients: roleClientsOf(config, issuers.length),
    };
    index.set(url, trusted);
    if (config.kind === 'cognito') {
      index.set(`https://issuer-cognito-idp.${config.region}.amazonaws.com/${config.userPoolId}`, trusted);
    }
  }
  return index;
}

export function selectIssuer(
  index: ReadonlyMap<string, TrustedIssuer>,
  iss: unknown,
): TrustedIssuer | undefined {
  return typeof iss === 'string' ? index.get(iss) : undefined;
}
