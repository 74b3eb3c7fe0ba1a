import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IUserPool, IUserPoolClient, UserPoolDomain } from 'aws-cdk-lib/aws-cognito';
import {
  ClientAttributes,
  FeaturePlan,
  LambdaVersion,
  Mfa,
  OAuthScope,
  OidcAttributeRequestMethod,
  ProviderAttribute,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  UserPoolIdentityProviderOidc,
  UserPoolOperation,
} from 'aws-cdk-lib/aws-cognito';
import type { Function as LambdaFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { COGNITO_ROLES_ATTRIBUTE, COGNITO_ROLES_CLAIM } from '../../common/identity-context';
import { TrustedIssuer } from '../authorizer/trusted-issuer';
import { acknowledgeKeygateRuntime, functionScaffolding } from '../internal/function-scaffolding';
import { keygateFunction } from '../internal/lambda-code';
import { PRE_TOKEN_PROVIDER_NAME_ENV as PROVIDER_NAME_ENV } from '../../common/function-env';
import { PRE_TOKEN_GENERATION_SERVICE_NAME } from '../../common/service-names';
import { KeygateValidationError } from '../internal/validation-error';

/** The custom attribute's name without Cognito's `custom:` prefix. */
const ROLES_ATTRIBUTE_NAME = COGNITO_ROLES_ATTRIBUTE.replace(/^custom:/, '');
/** The claim the realm's Cognito client carries the user's roles in (ID token and userinfo). */
const DEFAULT_ROLES_CLAIM = 'kc_roles';

const DOMAIN_PREFIX = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const PROVIDER_NAME = /^[^_\p{Z}][\p{L}\p{M}\p{S}\p{N}\p{P}][^_\p{Z}]+$/u;

/** Properties of a {@link KeycloakFederatedUserPool}. */
export interface KeycloakFederatedUserPoolProps {
  /** The Keycloak realm's issuer, e.g. `https://sso.example.com/realms/ml` (https, literal). */
  readonly keycloakIssuerUrl: string;
  /** The confidential Keycloak client the user pool signs in with. */
  readonly keycloakClientId: string;
  /**
   * The Secrets Manager secret holding that client's secret. It reaches the template only as a
   * CloudFormation dynamic reference, never as plain text.
   */
  readonly keycloakClientSecret: ISecret;
  /**
   * The JSON field of the secret holding the client secret.
   * @default - the whole secret string is the client secret
   */
  readonly keycloakClientSecretField?: string;
  /**
   * The claim of Keycloak's ID token / userinfo response that lists the user's roles (the realm
   * definition's Cognito client writes realm roles and `client:role` API client roles there).
   * @default 'kc_roles'
   */
  readonly keycloakRolesClaim?: string;
  /** Prefix of the Cognito domain (`https://<prefix>.auth.<region>.amazoncognito.com`). */
  readonly domainPrefix: string;
  /** Where the people app client may be redirected after sign-in (https, or http://localhost). */
  readonly callbackUrls: string[];
  /**
   * Where the people app client may be redirected after sign-out.
   * @default - the callback URLs
   */
  readonly logoutUrls?: string[];
  /**
   * The user pool feature plan. Access-token customization by the pre-token-generation trigger
   * (event version V2_0) needs ESSENTIALS or PLUS; LITE is rejected. PLUS also turns on threat
   * protection (full function).
   * @see https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html
   * @see https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-sign-in-feature-plans.html
   * @default FeaturePlan.ESSENTIALS
   */
  readonly featurePlan?: FeaturePlan;
  /**
   * Name of the identity provider in the user pool (shown on the hosted UI).
   * @default 'Keycloak'
   */
  readonly identityProviderName?: string;
  /**
   * Lifetime of access and ID tokens of the people client (5 minutes to 1 day).
   * @default Duration.hours(1)
   */
  readonly accessTokenValidity?: Duration;
  /**
   * What happens to the user pool when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the trigger function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Name of the user pool.
   * @default - a name CloudFormation generates
   */
  readonly userPoolName?: string;
}

/**
 * A Cognito user pool that federates a Keycloak realm through OpenID Connect, keeping Keycloak's
 * roles: the identity provider maps the roles claim into the `custom:kc_roles` attribute, and a
 * pre-token-generation trigger (V2_0) copies them into every access token as `keygate_roles`, so the
 * route requirements that hold for Keycloak tokens hold for the pool's tokens too.
 *
 * Give `trustedIssuer()` (or `TrustedIssuer.cognitoUserPool(userPool, appClients)`) to the authorizer so
 * it accepts the pool's access tokens.
 */
export class KeycloakFederatedUserPool extends Construct {
  /** The user pool. */
  public readonly userPool: IUserPool;
  /** The app client for people (authorization code with PKCE, no client secret). */
  public readonly peopleClient: IUserPoolClient;
  /** Every app client whose access tokens the authorizer should accept. */
  public readonly appClients: IUserPoolClient[];
  /** The Keycloak identity provider of the pool. */
  public readonly identityProvider: UserPoolIdentityProviderOidc;
  /** The pool's Cognito domain. */
  public readonly domain: UserPoolDomain;
  /** The pre-token-generation trigger. */
  public readonly preTokenGenerationFunction: IFunction;
  /** Base URL of the pool's hosted sign-in (`https://<prefix>.auth.<region>.amazoncognito.com`). */
  public readonly hostedUiBaseUrl: string;
  /** The access-token claim holding the roles (realm roles, and client roles as `client:role`). */
  public readonly rolesClaim: string = COGNITO_ROLES_CLAIM;
  /** The feature plan the pool was created with. */
  public readonly featurePlan: FeaturePlan;

  constructor(scope: Construct, id: string, props: KeycloakFederatedUserPoolProps) {
    super(scope, id);
    validateKeycloakProps(this, props);
    validateHostedUiProps(this, props);
    const featurePlan = props.featurePlan ?? FeaturePlan.ESSENTIALS;
    const providerName = props.identityProviderName ?? 'Keycloak';
    const rolesClaim = props.keycloakRolesClaim ?? DEFAULT_ROLES_CLAIM;
    this.featurePlan = featurePlan;

    const pool = keygateUserPool(this, props, featurePlan);
    this.userPool = pool;

    const secretValue = props.keycloakClientSecretField
      ? props.keycloakClientSecret.secretValueFromJson(props.keycloakClientSecretField)
      : props.keycloakClientSecret.secretValue;
    this.identityProvider = new UserPoolIdentityProviderOidc(this, 'Keycloak', {
      userPool: pool,
      name: providerName,
      clientId: props.keycloakClientId,
      // A `{{resolve:secretsmanager:...}}` dynamic reference: CloudFormation resolves it at deploy time,
      // so the secret is in neither the template nor the cloud assembly.
      clientSecret: secretValue.unsafeUnwrap(),
      issuerUrl: props.keycloakIssuerUrl,
      scopes: ['openid', 'profile', 'email'],
      attributeRequestMethod: OidcAttributeRequestMethod.GET,
      attributeMapping: {
        email: ProviderAttribute.other('email'),
        preferredUsername: ProviderAttribute.other('preferred_username'),
        custom: { [COGNITO_ROLES_ATTRIBUTE]: ProviderAttribute.other(rolesClaim) },
      },
    });

    const client = peopleClient(this, pool, props, providerName);
    client.node.addDependency(this.identityProvider);
    this.peopleClient = client;
    this.appClients = [client];

    this.domain = pool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    this.hostedUiBaseUrl = `https://${props.domainPrefix}.auth.${Stack.of(this).region}.amazoncognito.com`;

    const fn = preTokenGenerationFunction(this, props, providerName);
    // V2_0 events carry access-token customization (Essentials or Plus plan).
    pool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG, fn, LambdaVersion.V2_0);
    this.preTokenGenerationFunction = fn;

    this.addNagSuppressions(pool, fn, featurePlan);
  }

  /**
   * The issuer to give the Keygate authorizer so it accepts this pool's access tokens (issued to
   * `appClients`): `TrustedIssuer.cognitoUserPool(userPool, appClients)`.
   */
  public trustedIssuer(): TrustedIssuer {
    return TrustedIssuer.cognitoUserPool(this.userPool, this.appClients);
  }

  /** cdk-nag (AwsSolutions) findings this construct accepts, each with its reason. */
  private addNagSuppressions(pool: UserPool, fn: LambdaFunction, featurePlan: FeaturePlan): void {
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'People authenticate at Keycloak, whose authentication flow enforces MFA; the pool has no local ' +
        'sign-in (no self sign-up, the app client allows only the Keycloak identity provider).',
    });
    if (featurePlan !== FeaturePlan.PLUS) {
      Validations.of(pool).acknowledge(
        {
          id: 'AwsSolutions-COG3',
          reason:
            'Threat protection needs the Plus plan; sign-in risk is assessed by Keycloak. Set featurePlan to ' +
            'PLUS to turn on full-function threat protection.',
        },
        {
          id: 'AwsSolutions-COG8',
          reason:
            'Access-token customization needs Essentials or Plus; Essentials is the default for cost. Set ' +
            'featurePlan to PLUS for threat protection.',
        },
      );
    }
    acknowledgeKeygateRuntime(fn);
  }
}

/** The pool: people come from Keycloak only, and the roles attribute each sign-in refreshes. */
function keygateUserPool(
  scope: Construct,
  props: KeycloakFederatedUserPoolProps,
  featurePlan: FeaturePlan,
): UserPool {
  const pool = new UserPool(scope, 'UserPool', {
    userPoolName: props.userPoolName,
    featurePlan,
    // People come from Keycloak only: no self sign-up, no local passwords in practice.
    selfSignUpEnabled: false,
    signInAliases: { username: true },
    customAttributes: {
      // Mutable so each sign-in refreshes it from Keycloak (Cognito updates mapped attributes at every
      // federated sign-in). 2048 is the longest custom string attribute.
      [ROLES_ATTRIBUTE_NAME]: new StringAttribute({ minLen: 0, maxLen: 2048, mutable: true }),
    },
    passwordPolicy: {
      minLength: 12,
      requireDigits: true,
      requireLowercase: true,
      requireUppercase: true,
      requireSymbols: true,
      tempPasswordValidity: Duration.days(1),
    },
    mfa: Mfa.OFF,
    ...(featurePlan === FeaturePlan.PLUS
      ? { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION }
      : {}),
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    deletionProtection: (props.removalPolicy ?? RemovalPolicy.RETAIN) === RemovalPolicy.RETAIN,
  });
  return pool;
}

/** The app client people sign in with, through the Keycloak identity provider only. */
function peopleClient(
  scope: Construct,
  pool: UserPool,
  props: KeycloakFederatedUserPoolProps,
  providerName: string,
): UserPoolClient {
  const logoutUrls = props.logoutUrls ?? props.callbackUrls;
  const client = new UserPoolClient(scope, 'PeopleClient', {
    userPool: pool,
    // A browser app cannot keep a secret: authorization code with PKCE instead. Cognito checks the
    // code_verifier against the code_challenge the app sent; it has no switch to demand one, so the
    // app must always send it (S256).
    // https://docs.aws.amazon.com/cognito/latest/developerguide/using-pkce-in-authorization-code.html
    generateSecret: false,
    // Only refresh-token auth besides the hosted UI: no password flows against the pool itself.
    authFlows: { userSrp: false },
    oAuth: {
      flows: { authorizationCodeGrant: true, implicitCodeGrant: false },
      // No aws.cognito.signin.user.admin: with it, a user's access token could call
      // UpdateUserAttributes and rewrite the roles attribute the trigger trusts.
      scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
      callbackUrls: [...props.callbackUrls],
      logoutUrls: [...logoutUrls],
    },
    supportedIdentityProviders: [UserPoolClientIdentityProvider.custom(providerName)],
    // Cognito writes mapped attributes through the app client: it needs write access to them.
    writeAttributes: new ClientAttributes()
      .withStandardAttributes({ email: true, preferredUsername: true })
      .withCustomAttributes(ROLES_ATTRIBUTE_NAME),
    readAttributes: new ClientAttributes()
      .withStandardAttributes({ email: true, emailVerified: true, preferredUsername: true })
      .withCustomAttributes(ROLES_ATTRIBUTE_NAME),
    preventUserExistenceErrors: true,
    enableTokenRevocation: true,
    accessTokenValidity: props.accessTokenValidity ?? Duration.hours(1),
    idTokenValidity: props.accessTokenValidity ?? Duration.hours(1),
  });
  return client;
}

/** The pre-token-generation trigger copying the Keycloak roles into access tokens, with its own log group and role. */
function preTokenGenerationFunction(
  scope: Construct,
  props: KeycloakFederatedUserPoolProps,
  providerName: string,
): LambdaFunction {
  const { logGroup, role } = functionScaffolding(scope, {
    roleDescription: 'Keygate pre-token-generation trigger: writes its own logs, nothing else',
    logRetention: props.logRetention,
    logRemovalPolicy: RemovalPolicy.DESTROY,
    logGroupId: 'PreTokenGenerationLogs',
    roleId: 'PreTokenGenerationRole',
  });
  // The prebuilt bundle of lambda/pre-token-generation (local esbuild at package build time: Node.js 22,
  // arm64, CommonJS, minified, source maps), so neither this repository's synth nor a consumer's needs
  // esbuild or Docker.
  const fn = keygateFunction(scope, 'PreTokenGeneration', {
    entry: 'pre-token-generation',
    role,
    memorySize: 256,
    // Cognito waits at most 5 s for a trigger.
    timeout: Duration.seconds(5),
    logGroup,
    environment: {
      // The literal name, not the provider's attribute: pool -> trigger -> provider -> pool would be a cycle.
      [PROVIDER_NAME_ENV]: providerName,
      POWERTOOLS_SERVICE_NAME: PRE_TOKEN_GENERATION_SERVICE_NAME,
    },
    description: 'Keygate: copies Keycloak roles into Cognito access tokens',
  });
  return fn;
}

/** The Keycloak side: issuer, client, secret and roles claim. */
function validateKeycloakProps(scope: Construct, props: KeycloakFederatedUserPoolProps): void {
  const issuer = props.keycloakIssuerUrl;
  if (typeof issuer !== 'string' || Token.isUnresolved(issuer)) {
    throw new KeygateValidationError(
      scope,
      'keycloakIssuerUrl',
      'KeycloakFederatedUserPool: keycloakIssuerUrl must be a literal https URL, not a token',
    );
  }
  let url: URL | undefined;
  try {
    url = new URL(issuer);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || !/\/realms\/[^/]+$/.test(url.pathname) || url.search || url.hash) {
    throw new KeygateValidationError(
      scope,
      'keycloakIssuerUrl',
      `KeycloakFederatedUserPool: keycloakIssuerUrl '${issuer}' must be https://<host>/realms/<realm> (no trailing slash)`,
    );
  }
  if (
    !Token.isUnresolved(props.keycloakClientId) &&
    !/^[\x21-\x7e]{1,255}$/.test(props.keycloakClientId ?? '')
  ) {
    throw new KeygateValidationError(
      scope,
      'keycloakClientId',
      'KeycloakFederatedUserPool: keycloakClientId must be 1-255 printable characters',
    );
  }
  if (!props.keycloakClientSecret || typeof props.keycloakClientSecret.secretValueFromJson !== 'function') {
    throw new KeygateValidationError(
      scope,
      'keycloakClientSecret',
      'KeycloakFederatedUserPool: keycloakClientSecret must be a Secrets Manager secret (ISecret)',
    );
  }
  if (
    props.keycloakClientSecretField !== undefined &&
    !/^[\x21-\x7e]{1,255}$/.test(props.keycloakClientSecretField)
  ) {
    throw new KeygateValidationError(
      scope,
      'keycloakClientSecretField',
      'KeycloakFederatedUserPool: keycloakClientSecretField must be 1-255 printable characters',
    );
  }
  if (props.keycloakRolesClaim !== undefined && !/^[A-Za-z0-9_.:-]{1,255}$/.test(props.keycloakRolesClaim)) {
    throw new KeygateValidationError(
      scope,
      'keycloakRolesClaim',
      'KeycloakFederatedUserPool: keycloakRolesClaim must be 1-255 of A-Z a-z 0-9 _ . : -',
    );
  }
}

/** The Cognito side: the hosted UI's domain and URLs, the plan, the provider name, token validity. */
function validateHostedUiProps(scope: Construct, props: KeycloakFederatedUserPoolProps): void {
  const prefix = props.domainPrefix;
  if (!Token.isUnresolved(prefix)) {
    if (typeof prefix !== 'string' || !DOMAIN_PREFIX.test(prefix)) {
      throw new KeygateValidationError(
        scope,
        'domainPrefix',
        `KeycloakFederatedUserPool: domainPrefix '${String(prefix)}' must be 1-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen`,
      );
    }
    // Cognito reserves these words in prefix domains.
    if (/aws|amazon|cognito/.test(prefix)) {
      throw new KeygateValidationError(
        scope,
        'domainPrefix',
        `KeycloakFederatedUserPool: domainPrefix '${prefix}' must not contain aws, amazon or cognito`,
      );
    }
  }
  checkUrls(scope, props.callbackUrls, 'callbackUrls', true);
  if (props.logoutUrls !== undefined) checkUrls(scope, props.logoutUrls, 'logoutUrls', false);
  if (props.featurePlan === FeaturePlan.LITE) {
    throw new KeygateValidationError(
      scope,
      'featurePlan',
      'KeycloakFederatedUserPool: featurePlan must be ESSENTIALS or PLUS: access-token customization (pre token generation V2_0) is not available on LITE',
    );
  }
  if (props.identityProviderName !== undefined) {
    const n = props.identityProviderName;
    if (n.length < 3 || n.length > 32 || !PROVIDER_NAME.test(n)) {
      throw new KeygateValidationError(
        scope,
        'identityProviderName',
        'KeycloakFederatedUserPool: identityProviderName must be 3-32 characters, without spaces or underscores at either end',
      );
    }
    if (/^(cognito|COGNITO|Google|Facebook|LoginWithAmazon|SignInWithApple)$/.test(n)) {
      throw new KeygateValidationError(
        scope,
        'identityProviderName',
        `KeycloakFederatedUserPool: identityProviderName '${n}' is reserved by Cognito`,
      );
    }
  }
  const validity = props.accessTokenValidity;
  if (validity !== undefined && !validity.isUnresolved()) {
    const minutes = validity.toMinutes({ integral: false });
    if (minutes < 5 || minutes > 24 * 60) {
      throw new KeygateValidationError(
        scope,
        'accessTokenValidity',
        'KeycloakFederatedUserPool: accessTokenValidity must be between 5 minutes and 1 day',
      );
    }
  }
}

function checkUrls(
  scope: Construct,
  urls: readonly string[] | undefined,
  field: string,
  required: boolean,
): void {
  if (!Array.isArray(urls) || (required && urls.length === 0)) {
    throw new KeygateValidationError(
      scope,
      field,
      `KeycloakFederatedUserPool: ${field} must list at least one URL`,
    );
  }
  for (const u of urls) {
    if (Token.isUnresolved(u)) continue;
    let url: URL | undefined;
    try {
      url = new URL(u);
    } catch {
      url = undefined;
    }
    // Cognito allows http only for localhost; fragments are not allowed in redirect URIs.
    const local = url?.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
    if (!url || !(url.protocol === 'https:' || local) || url.hash) {
      throw new KeygateValidationError(
        scope,
        field,
        `KeycloakFederatedUserPool: ${field} entry '${u}' must be an https URL (http only for localhost), without a fragment`,
      );
    }
  }
}
