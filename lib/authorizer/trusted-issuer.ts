import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Token } from 'aws-cdk-lib';
import type { IssuerConfig, SignatureAlgorithm } from '../../common/authorizer-config';
import { issuerIssues, issuerUrl, keycloakUrlIssues } from '../../common/authorizer-config';
import { KeygateValidationError, issuesError } from '../internal/validation-error';

/** JWS algorithms a Keycloak issuer may sign with (the verifier supports no PS256/384/512). */
export enum SigningAlgorithm {
  RS256 = 'RS256',
  RS384 = 'RS384',
  RS512 = 'RS512',
  ES256 = 'ES256',
  ES384 = 'ES384',
  ES512 = 'ES512',
  EDDSA = 'EdDSA',
}

/** Properties of a trusted Keycloak realm. */
export interface KeycloakRealmIssuerProps {
  /** The realm's exact `iss`, e.g. `https://sso.example.com/realms/ml` (https, no trailing slash). */
  readonly issuerUrl: string;
  /**
   * The realm's JWKS endpoint.
   * @default - `<issuerUrl>/protocol/openid-connect/certs`, Keycloak's certs endpoint
   */
  readonly jwksUri?: string;
  /**
   * Client ids accepted as the token's `azp`. At least one of `allowedClients` and `allowedAudiences` is
   * required: a realm alone is too broad a trust.
   * @default - `azp` is not checked (then `allowedAudiences` is required)
   */
  readonly allowedClients?: string[];
  /**
   * Audiences of which at least one must be in the token's `aud`.
   * @default - `aud` is not checked (then `allowedClients` is required)
   */
  readonly allowedAudiences?: string[];
  /**
   * Whether an `aud` of only `account` (Keycloak's default account-console audience) counts as a match.
   * @default false
   */
  readonly allowAccountAudience?: boolean;
  /**
   * Algorithms the realm signs access tokens with.
   * @default [SigningAlgorithm.RS256]
   */
  readonly algorithms?: SigningAlgorithm[];
  /**
   * Clients whose roles (`resource_access.<client>.roles`) count as client roles (`client:role`) of this
   * realm's tokens, typically the API's own client. Roles of any other client in a token are ignored.
   * @default - every client's roles when this is the only trusted issuer; none when several are trusted
   */
  readonly roleClients?: string[];
  /**
   * Trust a realm whose `iss` is a plain http URL, as a Keycloak in development mode (`kc.sh start-dev`)
   * issues (`http://localhost:8080/realms/<realm>`). For development and test realms only: people and
   * clients that talk to an http issuer send passwords and tokens in the clear. Keys are still fetched over
   * https only, so an http issuer needs an https `jwksUri` (for example a TLS proxy in front of the realm's
   * certs endpoint).
   * @default false - the issuer must be https
   */
  readonly insecureHttpIssuerForDevelopmentOnly?: boolean;
  /**
   * The realm's ACR-to-LoA mapping (Keycloak's `acr.loa.map`): acr value to level. Step-up requirements
   * (`Requirement.withStepUp({ minLoa })`) compare levels in this order; an acr it does not name meets none.
   * @default - none: no `minLoa` requirement can be met by this realm's tokens
   */
  readonly acrLoaMap?: { [acr: string]: number };
}

/** Options of a trusted Cognito user pool. */
export interface CognitoUserPoolIssuerOptions {
  /**
   * Clients whose `client:role` entries of the `keygate_roles` claim count as client roles.
   * @default - every client's when this is the only trusted issuer; none when several are trusted
   */
  readonly roleClients?: string[];
}

/**
 * An issuer whose access tokens the Keygate authorizer accepts: a Keycloak realm (verified directly
 * against its JWKS) or a Cognito user pool (for example one that federates Keycloak).
 */
export abstract class TrustedIssuer {
  /** Trusts access tokens of a Keycloak realm. Throws at once when the props are invalid. */
  public static keycloakRealm(props: KeycloakRealmIssuerProps): TrustedIssuer {
    const config: IssuerConfig = {
      kind: 'keycloak',
      issuer: props.issuerUrl,
      ...(props.jwksUri !== undefined ? { jwksUri: props.jwksUri } : {}),
      ...(props.allowedClients !== undefined ? { allowedClients: [...props.allowedClients] } : {}),
      ...(props.allowedAudiences !== undefined ? { allowedAudiences: [...props.allowedAudiences] } : {}),
      ...(props.allowAccountAudience !== undefined
        ? { allowAccountAudience: props.allowAccountAudience }
        : {}),
      ...(props.algorithms !== undefined
        ? { algorithms: props.algorithms.map((a) => a as SignatureAlgorithm) }
        : {}),
      ...(props.roleClients !== undefined ? { roleClients: [...props.roleClients] } : {}),
      ...(props.insecureHttpIssuerForDevelopmentOnly !== undefined
        ? { insecureHttpIssuerForDevelopmentOnly: props.insecureHttpIssuerForDevelopmentOnly }
        : {}),
      ...(props.acrLoaMap !== undefined ? { acrLoaMap: { ...props.acrLoaMap } } : {}),
    };
    const at = 'TrustedIssuer.keycloakRealm';
    for (const field of ['issuerUrl', 'jwksUri'] as const) {
      if (props[field] !== undefined && Token.isUnresolved(props[field])) {
        throw new KeygateValidationError(
          undefined,
          field,
          `${at}.${field} must be a literal URL, not a token`,
        );
      }
    }
    // A deployed authorizer fetches keys over https only: no loopback exception here. These rules are
    // stricter than the runtime's, so the issuer checks below find nothing more to say about the URLs.
    const urlIssues = keycloakUrlIssues(config, at, 'deployed', undefined, 'issuerUrl');
    if (urlIssues.length > 0) throw issuesError(undefined, urlIssues, { base: at, whole: 'issuerUrl' });
    const issues = issuerIssues(config, at);
    if (issues.length > 0) throw issuesError(undefined, issues, { base: at, whole: 'allowedClients' });
    return new ConfiguredIssuer(config, config);
  }

  /**
   * Trusts access tokens of a Cognito user pool issued to the given app clients, for example the pool
   * that federates Keycloak (its pre-token-generation trigger copies the Keycloak roles into the
   * access token).
   */
  public static cognitoUserPool(
    userPool: IUserPool,
    clients: IUserPoolClient[],
    options: CognitoUserPoolIssuerOptions = {},
  ): TrustedIssuer {
    if (clients.length === 0) {
      throw new KeygateValidationError(
        undefined,
        'clients',
        'TrustedIssuer.cognitoUserPool.clients must list at least one app client',
      );
    }
    const region = userPool.env.region;
    const config: IssuerConfig = {
      kind: 'cognito',
      userPoolId: userPool.userPoolId,
      region,
      allowedClients: clients.map((c) => c.userPoolClientId),
      ...(options.roleClients !== undefined ? { roleClients: [...options.roleClients] } : {}),
    };
    // Pool ids and regions are usually tokens until deployment: validate the shape with stand-ins.
    const probeRegion = Token.isUnresolved(region) ? regionOf(userPool.userPoolId) : region;
    const probe: IssuerConfig = {
      kind: 'cognito',
      region: probeRegion,
      userPoolId: Token.isUnresolved(userPool.userPoolId) ? `${probeRegion}_Pool0000` : userPool.userPoolId,
      allowedClients: config.allowedClients.map((c, i) => (Token.isUnresolved(c) ? `client${i}` : c)),
      ...(options.roleClients !== undefined ? { roleClients: [...options.roleClients] } : {}),
    };
    const at = 'TrustedIssuer.cognitoUserPool';
    const issues = issuerIssues(probe, at);
    if (issues.length > 0) throw issuesError(undefined, issues, { base: at, whole: 'userPool' });
    return new ConfiguredIssuer(config, probe);
  }

  /**
   * The issuer URL tokens of this issuer carry as `iss` (for Cognito the regional
   * `https://cognito-idp.<region>.amazonaws.com/<poolId>`; a deploy-time token when the pool is).
   * Scope a route's requirement to it with `Requirement.forIssuers`.
   */
  public get issuerUrl(): string {
    return issuerUrl(this._config);
  }

  /** @internal the runtime issuer configuration (may contain tokens) */
  public abstract readonly _config: IssuerConfig;
  /** @internal the same with stand-ins for tokens, for synth-time validation */
  public abstract readonly _probe: IssuerConfig;
}

class ConfiguredIssuer extends TrustedIssuer {
  constructor(
    public readonly _config: IssuerConfig,
    public readonly _probe: IssuerConfig,
  ) {
    super();
  }
}

function regionOf(userPoolId: string): string {
  const m = /^([a-z]{2}(?:-[a-z]+)+-\d)_/.exec(userPoolId);
  return m ? m[1] : 'us-east-1';
}
