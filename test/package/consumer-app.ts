/**
 * The example consumer app: a CDK app outside this repository that installs the published package and
 * protects one route on an HTTP API and one on a REST API with the Keygate authorizer. The consumer test
 * writes these files into a fresh folder; the README shows the same app.
 */

export const CONSUMER_APP_TS = `import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import {
  KeygateAuthorizer,
  Requirement,
  RouteAuth,
  SecuredHttpApi,
  SecuredRestApi,
  TrustedIssuer,
} from 'keygate';

class OrdersStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // Any backend function. It reads the caller from the authorizer context in the event (REST API:
    // requestContext.authorizer, HTTP API: requestContext.authorizer.lambda), never from request headers:
    // a REST API passes client-sent x-keygate-* headers through to the backend.
    const orders = new lambda.Function(this, 'Orders', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromInline(
        'exports.handler = async (event) => { const ctx = event.requestContext.authorizer; const caller = (ctx.lambda ?? ctx).sub; return { statusCode: 200, body: JSON.stringify({ caller }) }; };',
      ),
    });

    // Accept access tokens of one Keycloak realm, issued to the shop's web client.
    const authorizer = new KeygateAuthorizer(this, 'Authorizer', {
      issuers: [
        TrustedIssuer.keycloakRealm({
          issuerUrl: 'https://sso.example.com/realms/shop',
          allowedClients: ['shop-web'],
        }),
      ],
    });

    // Callers need the realm role orders-reader or the scope orders:read.
    const readOrders = RouteAuth.keycloak(
      Requirement.anyOf({ realmRoles: ['orders-reader'], scopes: ['orders:read'] }),
    );

    new SecuredHttpApi(this, 'HttpApi', {
      authorizer,
      routes: [{ method: HttpMethod.GET, path: '/orders', backend: orders, auth: readOrders }],
    });
    new SecuredRestApi(this, 'RestApi', {
      authorizer,
      routes: [{ method: HttpMethod.GET, path: '/orders', backend: orders, auth: readOrders }],
    });
  }
}

const app = new App();
new OrdersStack(app, 'Orders');
app.synth();
`;

/**
 * A second app of the same consumer with every other construct that runs a Lambda function, so the test
 * sees each function deployed from the bundle the package ships.
 */
export const EVERY_FUNCTION_APP_TS = `import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { BrowserSignIn, KeycloakFederatedUserPool, Model, ModelBackend } from 'keygate';

const app = new App();
const stack = new Stack(app, 'Everything');
new ModelBackend(stack, 'Models', { models: [Model.demo('sentiment', 'sentiment')] });
new KeycloakFederatedUserPool(stack, 'Federation', {
  keycloakIssuerUrl: 'https://sso.example.com/realms/shop',
  keycloakClientId: 'cognito',
  keycloakClientSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'KeycloakSecret', 'shop/cognito-client'),
  domainPrefix: 'shop-example',
  callbackUrls: ['https://app.example.com/callback'],
});
new BrowserSignIn(stack, 'SignIn', { issuer: 'https://sso.example.com/realms/shop', clientId: 'shop-web' });
app.synth();
`;

/** Compiler settings of the consumer app: a typical CDK app's, type-checked against the package's .d.ts. */
export const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['es2022'],
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    esModuleInterop: true,
    // node_modules/aws-cdk-lib is a link to an installed copy; keep resolving through the link.
    preserveSymlinks: true,
  },
  files: ['app.ts', 'every-function.ts'],
};

/**
 * Run in the consumer folder with the same Node.js flags and environment as the app: reports whether
 * esbuild can be found the ways CDK's NodejsFunction looks for it (module resolution from the app and
 * from aws-cdk-lib, and a command on PATH).
 */
export const ESBUILD_PROBE_CJS = `'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const tryResolve = (from) => {
  try {
    return require.resolve('esbuild', { paths: [from] });
  } catch {
    return null;
  }
};
const cdkNodejs = path.dirname(require.resolve('aws-cdk-lib/aws-lambda-nodejs'));
const command = spawnSync('esbuild', ['--version'], { encoding: 'utf8' });
process.stdout.write(
  JSON.stringify({
    fromApp: tryResolve(__dirname),
    fromAwsCdkLib: tryResolve(cdkNodejs),
    command: command.error ? null : command.stdout.trim(),
  }),
);
`;
