import type { StackProps } from 'aws-cdk-lib';
import { CfnOutput, CfnResource, Duration, Stack } from 'aws-cdk-lib';
import type { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { AppRouteConfig, MachinePrincipalConfig, StageConfig } from '../../common/app-config';
import { COGNITO_FEDERATION_ISSUER } from '../../common/app-config';
import { CLOUDFORMATION_RESOURCES_PER_STACK } from '../../common/aws-limits';
import type { Requirement as RequirementSpec } from '../../common/route-model';
import type { SecuredRouteOptions } from '../api/route-table';
import { Requirement, RouteAuth } from '../api/route-auth';
import type { StepUpProps } from '../api/route-auth';
import { SecuredHttpApi } from '../api/secured-http-api';
import { SecuredRestApi } from '../api/secured-rest-api';
import type { UsageTiersOptions } from '../api/usage-plans';
import { AuthorizerResponseMode, KeygateAuthorizer } from '../authorizer/keygate-authorizer';
import type { SigningAlgorithm } from '../authorizer/trusted-issuer';
import { TrustedIssuer } from '../authorizer/trusted-issuer';
import { Model } from '../backends/model';
import { ModelBackend } from '../backends/model-backend';
import { KeycloakFederatedUserPool } from '../federation/keycloak-federated-user-pool';
import { AuthorizerAlarms } from '../monitoring/authorizer-alarms';
import { KeygateDashboard } from '../monitoring/keygate-dashboard';
import { BrowserSignIn, SIGN_IN_PATHS } from '../sign-in/browser-sign-in';
import type { BackChannelLogout } from '../revocation/back-channel-logout';
import { stageBackChannelLogout } from '../revocation/stage-back-channel-logout';
import { stageTokenBindingOptions } from '../authorizer/token-binding';

/** Properties of the Keygate app stack. */
export interface KeygateStackProps extends StackProps {
  /** The stage name (`dev`, `prod`, ...): it names resources and outputs. */
  readonly stageName: string;
  /** The stage's validated configuration. */
  readonly config: StageConfig;
}

const INVOKE_ROUTE = 'POST /models/{modelId}/invoke';

/**
 * One stage of the Keygate app: the model backend, the authorizer, the HTTP and/or REST API over the
 * configured route table, IAM grants for machine principals, optional Cognito federation, and alarms.
 * Expects a configuration that `validateStageConfig` accepted.
 */
export class KeygateStack extends Stack {
  constructor(scope: Construct, id: string, props: KeygateStackProps) {
    super(scope, id, props);
    const c = props.config;
    // The route table decides most of the stack's size; name the field before CloudFormation refuses it.
    this.node.addValidation({ validate: () => this.resourceLimitErrors(props.stageName) });
    const stage: StageContext = {
      config: c,
      stageName: props.stageName,
      retention: (c.logRetentionDays ?? 30) as RetentionDays,
      machineRoles: (c.machinePrincipals ?? []).map((p, i) =>
        iam.Role.fromRoleArn(this, `MachinePrincipal${i}`, p.roleArn),
      ),
    };
    const trust = stageIssuers(this, stage);
    const backend = stageModelBackend(this, stage, trust);
    const signIn = stageSignIn(this, stage);
    const logout = stageBackChannelLogout(this, c, stage.retention);
    const authorizer = stageAuthorizer(this, stage, trust.issuers, logout, signIn, trust.scopeOf);
    const parts = { authorizer, backend, trust, signIn, logout };
    const apis: StageApis = { ...parts, routes: stageRouteOptions(stage, parts), grants: stageGrants(stage) };
    const httpApis = c.apis?.http !== false ? [stageHttpApi(this, stage, apis)] : [];
    const restApis = c.apis?.rest !== false ? [stageRestApi(this, stage, apis)] : [];
    stageMonitoring(this, stage, authorizer, httpApis, restApis, backend);
    stageOutputs(this, authorizer, trust.federation);
  }

  /** CloudFormation's resources-per-stack quota (common/aws-limits.ts), named by the stage's field. */
  private resourceLimitErrors(stageName: string): string[] {
    const count = this.node.findAll().filter((c) => CfnResource.isCfnResource(c)).length;
    if (count <= CLOUDFORMATION_RESOURCES_PER_STACK) return [];
    return [
      `keygate.stages.${stageName}.routes: the stage makes ${count} CloudFormation resources, over the quota of ` +
        `${CLOUDFORMATION_RESOURCES_PER_STACK} per stack (each route is an HTTP API route and a REST API method; a new ` +
        'REST path segment adds a resource, and with cors an OPTIONS method); split the routes over stages',
    ];
  }
}

/** What every part of a stage reads: its configuration, name, log retention and machine principals' roles. */
interface StageContext {
  readonly config: StageConfig;
  readonly stageName: string;
  readonly retention: RetentionDays;
  /** The role of each `machinePrincipals` entry, by index. */
  readonly machineRoles: readonly iam.IRole[];
}

/** The issuers a stage trusts, the federated pool when there is one, and how a route names an issuer. */
interface StageTrust {
  readonly issuers: TrustedIssuer[];
  readonly federation?: KeycloakFederatedUserPool;
  /** A stage names its realm by issuer URL and its federated pool by COGNITO_FEDERATION_ISSUER. */
  readonly scopeOf: (name: string) => TrustedIssuer;
}

/** The parts the stage's routes are made of. */
interface StageParts {
  readonly authorizer: KeygateAuthorizer;
  readonly backend: ModelBackend;
  readonly trust: StageTrust;
  readonly signIn?: BrowserSignIn;
  readonly logout?: BackChannelLogout;
}

/** The parts the stage's APIs are built from: the parts, the route table and the machine grants. */
interface StageApis extends StageParts {
  readonly routes: SecuredRouteOptions[];
  readonly grants: StageGrant[];
}

/** One IAM grant of a machine principal on one route. */
interface StageGrant {
  readonly principal: MachinePrincipalConfig;
  readonly role: iam.IRole;
  readonly method: HttpMethod;
  readonly path: string;
  /** A streaming route: served, and so granted, by the REST API only. */
  readonly stream: boolean;
}

/** The Keycloak realm, and with `cognitoFederation` the pool federating it (its tokens carry the same roles). */
function stageIssuers(scope: Construct, stage: StageContext): StageTrust {
  const c = stage.config;
  const issuers = [
    TrustedIssuer.keycloakRealm({
      issuerUrl: c.keycloak.issuer,
      ...(c.keycloak.jwksUri ? { jwksUri: c.keycloak.jwksUri } : {}),
      ...(c.keycloak.insecureHttpIssuerForDevelopmentOnly !== undefined
        ? { insecureHttpIssuerForDevelopmentOnly: c.keycloak.insecureHttpIssuerForDevelopmentOnly }
        : {}),
      allowedClients: [
        c.keycloak.peopleClientId,
        // Sessions carry access tokens issued to the sign-in client (azp), which may be its own client.
        ...(c.browserSignIn?.clientId !== undefined && c.browserSignIn.clientId !== c.keycloak.peopleClientId
          ? [c.browserSignIn.clientId]
          : []),
        ...(c.keycloak.serviceAccounts ?? []).map((s) => s.clientId),
      ],
      allowedAudiences: [c.keycloak.audience ?? c.keycloak.apiClientId],
      // Client roles are the API client's: a token's roles of any other client never count.
      roleClients: [c.keycloak.apiClientId],
      ...(c.keycloak.algorithms
        ? { algorithms: c.keycloak.algorithms.map((a) => a as SigningAlgorithm) }
        : {}),
      ...(c.keycloak.acrLoaMap ? { acrLoaMap: { ...c.keycloak.acrLoaMap } } : {}),
    }),
  ];
  let federation: KeycloakFederatedUserPool | undefined;
  if (c.cognitoFederation) {
    const f = c.cognitoFederation;
    const secret = secretByNameOrArn(scope, 'KeycloakClientSecret', f.clientSecretName);
    federation = new KeycloakFederatedUserPool(scope, 'Federation', {
      keycloakIssuerUrl: c.keycloak.issuer,
      keycloakClientId: f.keycloakClientId,
      keycloakClientSecret: secret,
      domainPrefix: f.domainPrefix,
      callbackUrls: [...f.callbackUrls],
      ...(f.logoutUrls ? { logoutUrls: [...f.logoutUrls] } : {}),
      logRetention: stage.retention,
    });
    // The pool's access tokens carry the Keycloak roles, so the same requirements hold for them.
    issuers.push(
      TrustedIssuer.cognitoUserPool(federation.userPool, federation.appClients, {
        roleClients: [c.keycloak.apiClientId],
      }),
    );
  }
  const scopeOf = (name: string): TrustedIssuer =>
    name === COGNITO_FEDERATION_ISSUER && issuers.length > 1 ? issuers[1] : issuers[0];
  return { issuers, federation, scopeOf };
}

/** The model backend, re-checking the invoke route's requirement and serving the machine callers. */
function stageModelBackend(scope: Construct, stage: StageContext, trust: StageTrust): ModelBackend {
  const c = stage.config;
  const invokeRoute = c.routes.find((r) => `${r.method} ${r.path}` === INVOKE_ROUTE && r.auth === 'keycloak');
  const backend = new ModelBackend(scope, 'Models', {
    models: Model.fromConfigs([...c.models]),
    ...(invokeRoute ? { invokeRequirement: toRequirement(invokeRoute.requirement, trust.scopeOf) } : {}),
    machineCallers: (c.machinePrincipals ?? []).map((p, i) => ({
      role: stage.machineRoles[i],
      routes: [...p.routes],
    })),
    logRetention: stage.retention,
    streaming: c.routes.some((r) => r.stream === true),
    usageQueryName: `keygate/${stage.stageName}`,
  });
  new CfnOutput(scope, 'ModelsLogGroupName', {
    value: backend.logGroup.logGroupName,
    description: 'Model backend log group: audit and usage lines (npm run usage -- --log-group <this>)',
  });
  return backend;
}

/**
 * With `browserSignIn`: one sign-in function and one cookie keyring serve every deployed API. Each API is
 * its own site (its own host), so cookies never cross between them, and the authorizer opens sessions of
 * either.
 */
function stageSignIn(scope: Construct, stage: StageContext): BrowserSignIn | undefined {
  const c = stage.config;
  const b = c.browserSignIn;
  if (!b) return undefined;
  return new BrowserSignIn(scope, 'SignIn', {
    issuer: c.keycloak.issuer,
    clientId: b.clientId ?? c.keycloak.peopleClientId,
    ...(b.clientSecretName
      ? { clientSecret: secretByNameOrArn(scope, 'SignInClientSecret', b.clientSecretName) }
      : {}),
    ...(b.clientSecretField !== undefined ? { clientSecretField: b.clientSecretField } : {}),
    ...(b.scopes ? { scopes: [...b.scopes] } : {}),
    ...(b.cookieName !== undefined ? { cookieName: b.cookieName } : {}),
    // The same origins and header as the authorizer's session check, for POST logout and refresh.
    ...(b.allowedOrigins ? { allowedOrigins: [...b.allowedOrigins] } : {}),
    ...(b.csrfHeader !== undefined ? { csrfHeader: b.csrfHeader } : {}),
    ...(b.maxSessionSeconds !== undefined
      ? { maxSessionDuration: Duration.seconds(b.maxSessionSeconds) }
      : {}),
    logRetention: stage.retention,
  });
}

/** The stage's authorizer: its issuers, revocation, browser sessions and `authorizer` options. */
function stageAuthorizer(
  scope: Construct,
  stage: StageContext,
  issuers: TrustedIssuer[],
  logout: BackChannelLogout | undefined,
  signIn: BrowserSignIn | undefined,
  scopeOf: (name: string) => TrustedIssuer,
): KeygateAuthorizer {
  const c = stage.config;
  return new KeygateAuthorizer(scope, 'Authorizer', {
    issuers,
    ...(logout ? { revocation: logout } : {}),
    ...(c.tokenBinding ? { tokenBinding: stageTokenBindingOptions(c.tokenBinding, scopeOf) } : {}),
    ...(signIn
      ? {
          browserSessions: {
            keysSecret: signIn.keysSecret,
            cookieName: signIn.sessionSettings.cookieName,
            ...(c.browserSignIn?.csrfHeader !== undefined ? { csrfHeader: c.browserSignIn.csrfHeader } : {}),
            ...(c.browserSignIn?.allowedOrigins
              ? { allowedOrigins: [...c.browserSignIn.allowedOrigins] }
              : {}),
          },
        }
      : {}),
    ...(c.authorizer?.cacheTtlSeconds !== undefined
      ? { resultsCacheTtl: Duration.seconds(c.authorizer.cacheTtlSeconds) }
      : {}),
    ...(c.authorizer?.responseMode === 'simple' ? { responseMode: AuthorizerResponseMode.SIMPLE } : {}),
    ...(c.authorizer?.clockSkewSeconds !== undefined
      ? { clockSkew: Duration.seconds(c.authorizer.clockSkewSeconds) }
      : {}),
    logRetention: stage.retention,
  });
}

/** The configured route table as the Secured APIs take it. */
function stageRouteOptions(stage: StageContext, apis: StageParts): SecuredRouteOptions[] {
  return stage.config.routes.map((r) => ({
    method: r.method as HttpMethod,
    path: r.path,
    backend: r.stream ? apis.backend.streamFunction! : apis.backend.function,
    ...(r.stream ? { stream: true } : {}),
    auth: routeAuth(r, apis.trust.federation, apis.trust.scopeOf),
    // Without sign-in there is nowhere to send a browser: the flag waits until browserSignIn is set.
    ...(apis.signIn && r.browser ? { browser: true } : {}),
  }));
}

/** The props both Secured APIs share. */
function stageApiProps(stage: StageContext, authorizer: KeygateAuthorizer) {
  const c = stage.config;
  return {
    authorizer,
    ...(c.cors ? { cors: { allowOrigins: [...c.cors.allowOrigins] } } : {}),
    ...(c.throttling
      ? { throttle: { rateLimit: c.throttling.rateLimit, burstLimit: c.throttling.burstLimit } }
      : {}),
    accessLogRetention: stage.retention,
  };
}

/** Each machine principal's routes, one grant a route. */
function stageGrants(stage: StageContext): StageGrant[] {
  return (stage.config.machinePrincipals ?? []).flatMap((p, i) =>
    p.routes.map((key) => {
      const space = key.indexOf(' ');
      return {
        principal: p,
        role: stage.machineRoles[i],
        method: key.slice(0, space) as HttpMethod,
        path: key.slice(space + 1),
        stream: stage.config.routes.some((r) => r.stream === true && `${r.method} ${r.path}` === key),
      };
    }),
  );
}

/** The HTTP API: every route but the streaming ones, same-account grants, logout and sign-in routes. */
function stageHttpApi(scope: Construct, stage: StageContext, apis: StageApis): SecuredHttpApi {
  const http = new SecuredHttpApi(scope, 'HttpApi', {
    ...stageApiProps(stage, apis.authorizer),
    // HTTP APIs cannot stream: streaming routes are served by the REST API only.
    routes: apis.routes.filter((r) => !r.stream),
    apiName: `keygate-${stage.stageName}-http`,
  });
  // The HTTP API has no streaming route to grant: the REST API grants it (least privilege, no wildcard).
  for (const g of apis.grants)
    if (!g.principal.crossAccount && !g.stream) http.grantInvoke(g.role, g.method, g.path);
  new CfnOutput(scope, 'HttpApiUrl', { value: http.url, description: 'HTTP API URL' });
  apis.logout?.addToHttpApi(http.httpApi);
  if (apis.signIn) {
    apis.signIn.addToHttpApi(http.httpApi);
    signInOutputs(scope, 'HttpApi', http.url);
  }
  return http;
}

/** The REST API: every route, grants (cross-account ones in its resource policy), usage tiers, logout and sign-in. */
function stageRestApi(scope: Construct, stage: StageContext, apis: StageApis): SecuredRestApi {
  const c = stage.config;
  const rest = new SecuredRestApi(scope, 'RestApi', {
    ...stageApiProps(stage, apis.authorizer),
    routes: apis.routes,
    stageName: stage.stageName,
    apiName: `keygate-${stage.stageName}-rest`,
    // The app owns its account's API Gateway log role, as it always has (the library's default is off).
    configureAccountLogRole: true,
    ...(c.usageTiers ? { usageTiers: c.usageTiers as UsageTiersOptions } : {}),
  });
  for (const g of apis.grants) {
    if (g.principal.crossAccount)
      rest.allowCrossAccountInvoke(new iam.ArnPrincipal(g.principal.roleArn), g.method, g.path);
    else rest.grantInvoke(g.role, g.method, g.path);
  }
  new CfnOutput(scope, 'RestApiUrl', { value: rest.url, description: 'REST API URL' });
  if (rest.iamApi) restIamTierOutputs(scope, stage, rest, rest.iamApi.url);
  apis.logout?.addToRestApi(rest.restApi);
  if (apis.signIn) {
    apis.signIn.addToRestApi(rest.restApi);
    signInOutputs(scope, 'RestApi', rest.url);
  }
  return rest;
}

/** With IAM usage tiers: where IAM callers call, and the secret each machine principal reads its API key from. */
function restIamTierOutputs(scope: Construct, stage: StageContext, rest: SecuredRestApi, url: string): void {
  new CfnOutput(scope, 'RestIamApiUrl', {
    value: url,
    description: 'REST API URL of the IAM routes (SigV4 and the X-API-Key of the caller tier)',
  });
  stage.machineRoles.forEach((role, i) => {
    const secret = rest.apiKeySecret(role);
    if (secret)
      new CfnOutput(scope, `MachinePrincipal${i}ApiKeySecretArn`, {
        value: secret.secretArn,
        description: `Secret holding the X-API-Key of ${stage.config.machinePrincipals![i].roleArn}`,
      });
  });
}

/** Alarms (mailed with `alarmEmail`) and, unless turned off, the dashboard. */
function stageMonitoring(
  scope: Construct,
  stage: StageContext,
  authorizer: KeygateAuthorizer,
  httpApis: SecuredHttpApi[],
  restApis: SecuredRestApi[],
  modelBackend: ModelBackend,
): void {
  const c = stage.config;
  let topic: sns.ITopic | undefined;
  if (c.alarmEmail) {
    const t = new sns.Topic(scope, 'AlarmTopic', {
      displayName: `Keygate ${stage.stageName} alarms`,
      enforceSSL: true,
    });
    t.addSubscription(new subscriptions.EmailSubscription(c.alarmEmail));
    topic = t;
  }
  new AuthorizerAlarms(scope, 'AuthorizerAlarms', { authorizer, ...(topic ? { topic } : {}) });
  if (c.dashboard !== false) {
    new KeygateDashboard(scope, 'Dashboard', {
      authorizer,
      httpApis,
      restApis,
      modelBackend,
      dashboardName: `keygate-${stage.stageName}`,
    });
  }
}

/** The authorizer function's name and, with federation, the pool's ids and hosted UI. */
function stageOutputs(
  scope: Construct,
  authorizer: KeygateAuthorizer,
  federation: KeycloakFederatedUserPool | undefined,
): void {
  new CfnOutput(scope, 'AuthorizerFunctionName', {
    value: authorizer.handler.functionName,
    description: 'Authorizer Lambda function',
  });
  if (federation) {
    new CfnOutput(scope, 'UserPoolId', { value: federation.userPool.userPoolId });
    new CfnOutput(scope, 'UserPoolArn', { value: federation.userPool.userPoolArn });
    new CfnOutput(scope, 'UserPoolClientId', { value: federation.peopleClient.userPoolClientId });
    new CfnOutput(scope, 'HostedUiBaseUrl', { value: federation.hostedUiBaseUrl });
  }
}

function secretByNameOrArn(scope: Construct, id: string, nameOrArn: string): secretsmanager.ISecret {
  return nameOrArn.startsWith('arn:')
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, nameOrArn)
    : secretsmanager.Secret.fromSecretNameV2(scope, id, nameOrArn);
}

/** Where a browser starts signing in, and the redirect URI the Keycloak client must allow. */
function signInOutputs(scope: Construct, api: string, url: string): void {
  // `url` ends with '/' (HTTP API endpoint, REST stage URL); the sign-in paths start with one.
  new CfnOutput(scope, `${api}SignInUrl`, {
    value: `${url}${SIGN_IN_PATHS.login.slice(1)}`,
    description: `${api}: open in a browser to sign in`,
  });
  new CfnOutput(scope, `${api}SignInCallbackUrl`, {
    value: `${url}${SIGN_IN_PATHS.callback.slice(1)}`,
    description: `${api}: valid redirect URI of the Keycloak sign-in client`,
  });
}

function routeAuth(
  r: AppRouteConfig,
  federation: KeycloakFederatedUserPool | undefined,
  scopeOf: (name: string) => TrustedIssuer,
): RouteAuth {
  if (r.auth === 'iam') return RouteAuth.iam();
  if (r.auth === 'cognito-user-pool') return RouteAuth.cognitoUserPool(federation!.userPool);
  return RouteAuth.keycloak(toRequirement(r.requirement, scopeOf));
}

function toRequirement(
  spec: RequirementSpec | undefined,
  scopeOf: (name: string) => TrustedIssuer,
): Requirement {
  if (!spec) return Requirement.authenticated();
  const unscoped = toUnscopedRequirement(spec);
  return spec.issuers ? unscoped.forIssuers(...spec.issuers.map(scopeOf)) : unscoped;
}

function toUnscopedRequirement(spec: RequirementSpec): Requirement {
  const copy = (e: RequirementSpec['allOf']) =>
    e
      ? {
          ...(e.realmRoles ? { realmRoles: [...e.realmRoles] } : {}),
          ...(e.clientRoles ? { clientRoles: [...e.clientRoles] } : {}),
          ...(e.scopes ? { scopes: [...e.scopes] } : {}),
          ...(e.groups ? { groups: [...e.groups] } : {}),
        }
      : undefined;
  const allOf = copy(spec.allOf);
  const anyOf = copy(spec.anyOf);
  const requirement = Requirement.of({ ...(allOf ? { allOf } : {}), ...(anyOf ? { anyOf } : {}) });
  return spec.stepUp ? requirement.withStepUp(stepUpProps(spec.stepUp)) : requirement;
}

function stepUpProps(s: NonNullable<RequirementSpec['stepUp']>): StepUpProps {
  return {
    ...(s.minLoa !== undefined ? { minLoa: s.minLoa } : {}),
    ...(s.amr ? { amr: [...s.amr] } : {}),
    ...(s.maxAgeSeconds !== undefined ? { maxAge: Duration.seconds(s.maxAgeSeconds) } : {}),
  };
}
