/**
 * Apps a user of the construct library might write, synthesized into a cloud assembly for `keygate local`
 * to serve. Their backends answer with what they received, so a test sees the caller the gateway passed on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as apigwv2Authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as apigwv2Integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import {
  KeygateAuthorizer,
  Requirement,
  RouteAuth,
  SecuredHttpApi,
  SecuredRestApi,
  TrustedIssuer,
} from '../../lib';

export const SHOP_ISSUER = 'https://sso.example.com/realms/shop';

/** Answers with the caller the authorizer context names (REST: requestContext.authorizer, HTTP: .lambda). */
const ECHO_CALLER =
  'exports.handler = async (event) => { const ctx = event.requestContext.authorizer || {}; const c = ctx.lambda || ctx; return { statusCode: 200, body: JSON.stringify({ caller: c.sub, iam: (event.requestContext.identity || {}).userArn || null, path: event.rawPath || event.path, greeting: process.env.GREETING || null }) }; };';

function node(stack: Stack, id: string, code = ECHO_CALLER, timeout?: Duration): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    handler: 'index.handler',
    code: lambda.Code.fromInline(code),
    ...(timeout ? { timeout } : {}),
    environment: { GREETING: 'hello from the template' },
  });
}

function shopAuthorizer(stack: Stack): KeygateAuthorizer {
  return new KeygateAuthorizer(stack, 'Authorizer', {
    issuers: [TrustedIssuer.keycloakRealm({ issuerUrl: SHOP_ISSUER, allowedClients: ['shop-web'] })],
  });
}

/** The README's example: `GET /orders` on an HTTP API and a REST API, one authorizer, one backend. */
export function synthOrdersApp(outdir: string): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Orders', { env: { region: 'eu-west-1' } });
  const orders = node(stack, 'Orders');
  const authorizer = shopAuthorizer(stack);
  const readOrders = RouteAuth.keycloak(
    Requirement.anyOf({ realmRoles: ['orders-reader'], scopes: ['orders:read'] }),
  );
  new SecuredHttpApi(stack, 'HttpApi', {
    authorizer,
    routes: [{ method: HttpMethod.GET, path: '/orders', backend: orders, auth: readOrders }],
  });
  new SecuredRestApi(stack, 'RestApi', {
    authorizer,
    routes: [{ method: HttpMethod.GET, path: '/orders', backend: orders, auth: readOrders }],
  });
  app.synth();
}

/**
 * A REST API with a bound per-model route, an IAM route, a slow asset-folder backend (1 s timeout), a
 * Python backend and a Cognito user-pool route: the last two cannot run locally.
 */
export function synthShopRestApp(outdir: string, assetDir: string): void {
  fs.mkdirSync(assetDir, { recursive: true });
  fs.writeFileSync(
    path.join(assetDir, 'slow.js'),
    "exports.handler = async (event) => { if ((event.queryStringParameters || {}).wait) await new Promise((r) => setTimeout(r, 5000)); return { statusCode: 200, body: 'awake' }; };",
  );
  const app = new App({ outdir });
  const stack = new Stack(app, 'Shop', { env: { region: 'eu-west-1' } });
  const echo = node(stack, 'Echo');
  const slow = new lambda.Function(stack, 'Slow', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'slow.handler',
    code: lambda.Code.fromAsset(assetDir),
    timeout: Duration.seconds(1),
  });
  const python = new lambda.Function(stack, 'Report', {
    runtime: lambda.Runtime.PYTHON_3_12,
    handler: 'index.handler',
    code: lambda.Code.fromInline('def handler(event, context):\n    return {"statusCode": 200}\n'),
  });
  const pool = new cognito.UserPool(stack, 'Pool');
  const api = new SecuredRestApi(stack, 'Api', {
    authorizer: shopAuthorizer(stack),
    routes: [
      {
        method: HttpMethod.POST,
        path: '/models/{modelId}/invoke',
        backend: echo,
        auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['model:{modelId}:invoke'] })),
      },
      { method: HttpMethod.GET, path: '/machine/orders', backend: echo, auth: RouteAuth.iam() },
      { method: HttpMethod.GET, path: '/machine/admin', backend: echo, auth: RouteAuth.iam() },
      { method: HttpMethod.GET, path: '/slow', backend: slow, auth: RouteAuth.keycloak() },
      { method: HttpMethod.GET, path: '/report', backend: python, auth: RouteAuth.keycloak() },
      { method: HttpMethod.GET, path: '/profile', backend: echo, auth: RouteAuth.cognitoUserPool(pool) },
    ],
  });
  // A role allowed the orders route only (its execute-api:Invoke grant).
  const reader = new iam.Role(stack, 'OrdersReader', { assumedBy: new iam.AccountRootPrincipal() });
  api.grantInvoke(reader, HttpMethod.GET, '/machine/orders');
  app.synth();
}

export const PARTNER_ISSUER = 'https://login.partner.example/realms/partners';
export const JWT_ISSUER = 'https://sso.example.com/realms/jwt';

/** Answers with what it received: the event's version, the authorizer's context and the caller. */
const ECHO_EVENT =
  'exports.handler = async (event) => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ version: event.version || null, httpMethod: event.httpMethod || null, resource: event.resource || null, multiValueHeaders: !!event.multiValueHeaders, authorizer: event.requestContext.authorizer || null }) });';

/** A TOKEN authorizer: allows `allow-<name>` with the name in its context, refuses anything else. */
const TOKEN_AUTHORIZER =
  'exports.handler = async (event) => { if (event.type !== "TOKEN" || !event.authorizationToken.startsWith("allow-")) throw new Error("Unauthorized"); return { principalId: event.authorizationToken.slice(6), policyDocument: { Version: "2012-10-17", Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: event.methodArn }] }, context: { name: event.authorizationToken.slice(6) } }; };';

/** A simple-response HTTP API authorizer: allows any Authorization header, naming it in the context. */
const SIMPLE_AUTHORIZER =
  'exports.handler = async (event) => ({ isAuthorized: true, context: { name: event.headers.authorization } });';

/**
 * Kinds the Keygate constructs do not deploy but a user's template may: a REST API behind a TOKEN
 * authorizer with an identity validation expression, and an HTTP API whose Lambda integrations take
 * payload format 1.0, one of them behind a Keygate authorizer trusting two Keycloak realms.
 */
export function synthOtherKindsApp(outdir: string): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Kinds', { env: { region: 'eu-west-1' } });
  const echo = node(stack, 'EchoEvent', ECHO_EVENT);
  const rest = new apigateway.RestApi(stack, 'TokenApi', { deploy: true });
  const tokenAuthorizer = new apigateway.TokenAuthorizer(stack, 'TokenAuthorizer', {
    handler: node(stack, 'TokenFn', TOKEN_AUTHORIZER),
    validationRegex: 'allow-[a-z]+|deny-[a-z]+',
    resultsCacheTtl: Duration.seconds(0),
  });
  rest.root.addResource('hello').addMethod('GET', new apigateway.LambdaIntegration(echo), {
    authorizer: tokenAuthorizer,
  });

  const shop = TrustedIssuer.keycloakRealm({ issuerUrl: SHOP_ISSUER, allowedClients: ['shop-web'] });
  const partner = TrustedIssuer.keycloakRealm({ issuerUrl: PARTNER_ISSUER, allowedClients: ['partner-app'] });
  const authorizer = new KeygateAuthorizer(stack, 'TwoRealms', { issuers: [shop, partner] });
  const http = new apigwv2.HttpApi(stack, 'V1Api');
  const v1 = new apigwv2Integrations.HttpLambdaIntegration('V1', echo, {
    payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_1_0,
  });
  http.addRoutes({ path: '/v1', methods: [apigwv2.HttpMethod.GET], integration: v1 });
  const simple = new apigwv2Authorizers.HttpLambdaAuthorizer(
    'Simple',
    node(stack, 'SimpleFn', SIMPLE_AUTHORIZER),
    {
      responseTypes: [apigwv2Authorizers.HttpLambdaResponseType.SIMPLE],
      resultsCacheTtl: Duration.seconds(0),
    },
  );
  http.addRoutes({
    path: '/v1/private',
    methods: [apigwv2.HttpMethod.GET],
    integration: v1,
    authorizer: simple,
  });
  const jwtApi = new apigwv2.HttpApi(stack, 'JwtApi');
  const jwt = new apigwv2Authorizers.HttpJwtAuthorizer('Jwt', JWT_ISSUER, { jwtAudience: ['jwt-api'] });
  jwtApi.addRoutes({
    path: '/orders',
    methods: [apigwv2.HttpMethod.GET],
    integration: new apigwv2Integrations.HttpLambdaIntegration('JwtOrders', echo),
    authorizer: jwt,
    authorizationScopes: ['orders:read'],
  });
  jwtApi.addRoutes({
    path: '/any',
    methods: [apigwv2.HttpMethod.GET],
    integration: new apigwv2Integrations.HttpLambdaIntegration('JwtAny', echo),
    authorizer: jwt,
  });
  new SecuredHttpApi(stack, 'Realms', {
    authorizer,
    routes: [
      {
        method: HttpMethod.GET,
        path: '/partners',
        backend: echo,
        auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['partner'] }).forIssuers(partner)),
      },
      {
        method: HttpMethod.GET,
        path: '/shop',
        backend: echo,
        auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['shopper'] }).forIssuers(shop)),
      },
    ],
  });
  app.synth();
}
