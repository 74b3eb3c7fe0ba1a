/**
 * Apps a user of the construct library might write, synthesized into a cloud assembly for `keygate local`
 * to serve. Their backends answer with what they received, so a test sees the caller the gateway passed on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
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
