/**
 * An app with the authorizer kinds and route shapes a user's template may hold beyond what the Keygate
 * constructs deploy: an HTTP API Lambda authorizer with payload format 1.0, one API whose routes name
 * different authorizers (two Lambda authorizers and a JWT authorizer of a plain OpenID Connect issuer),
 * and a REST streaming route without authorization.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** Answers with the authorizer's part of the event: `requestContext.authorizer`. */
const ECHO_AUTHORIZER =
  'exports.handler = async (event) => ({ statusCode: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ authorizer: event.requestContext.authorizer || null }) });';

/**
 * A policy authorizer (payload 1.0 or 2.0): `allow-<name>` is allowed the one route it was called for
 * (its method or route ARN), `deny-<name>` is denied, anything else is a 401. Its context names what the
 * event held, so the tests see the event's shape.
 */
const POLICY_AUTHORIZER = `exports.handler = async (event) => {
  const token = typeof event.identitySource === 'string' ? event.identitySource : (event.identitySource || [])[0] || '';
  const arn = event.methodArn || event.routeArn;
  if (!/^(allow|deny)-/.test(token)) throw new Error('Unauthorized');
  return {
    principalId: token.slice(token.indexOf('-') + 1),
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: token.startsWith('allow-') ? 'Allow' : 'Deny', Resource: arn }] },
    context: {
      version: event.version || 'none',
      type: event.type,
      identitySource: JSON.stringify(event.identitySource),
      authorizationToken: event.authorizationToken || 'none',
      methodArn: event.methodArn || 'none',
      routeArn: event.routeArn || 'none',
      resource: event.resource || 'none',
      httpMethod: event.httpMethod || 'none',
      multiValueHeaders: !!event.multiValueHeaders,
    },
  };
};`;

/** A simple-response authorizer: allows `team-a` only. */
const SIMPLE_AUTHORIZER =
  'exports.handler = async (event) => ({ isAuthorized: event.headers["x-team"] === "team-a", context: { team: event.headers["x-team"] || "" } });';

/** A policy authorizer allowing `team-<name>` every route of the API (a wildcard resource). */
const WIDE_AUTHORIZER = `exports.handler = async (event) => {
  if (!event.identitySource.startsWith('team-')) throw new Error('Unauthorized');
  const apiArn = event.methodArn.split('/')[0];
  return { principalId: event.identitySource, policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: apiArn + '/*' }] } };
};`;

/** A streaming function: three chunks, each written on its own. */
const STREAMER = `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const out = awslambda.HttpResponseStream.from(responseStream, { statusCode: 200, headers: { 'content-type': 'text/plain' } });
  for (const word of ['one ', 'two ', 'three']) { out.write(word); await new Promise((r) => setTimeout(r, 20)); }
  out.end();
});`;

function node(stack: Stack, id: string, code: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(code),
  });
}

export function synthAuthorizersApp(outdir: string, oidcIssuer: string): void {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Authorizers', { env: { region: 'eu-west-1' } });
  const echo = node(stack, 'Echo', ECHO_AUTHORIZER);
  const policy = node(stack, 'PolicyFn', POLICY_AUTHORIZER);
  const route = (id: string) => new integrations.HttpLambdaIntegration(id, echo);

  // An HTTP API Lambda authorizer answering with a policy: aws-cdk writes payload format 1.0 for it.
  const v1Api = new apigwv2.HttpApi(stack, 'V1AuthApi');
  const v1 = new authorizers.HttpLambdaAuthorizer('V1', policy, {
    responseTypes: [authorizers.HttpLambdaResponseType.IAM],
    identitySource: ['$request.header.X-Api-Token'],
    resultsCacheTtl: Duration.seconds(300),
  });
  for (const p of ['/a', '/b']) {
    v1Api.addRoutes({
      path: p,
      methods: [apigwv2.HttpMethod.GET],
      integration: route(`V1${p}`),
      authorizer: v1,
    });
  }

  // An authorizer keyed on a header and a query-string parameter.
  const tenantApi = new apigwv2.HttpApi(stack, 'TenantApi');
  const tenant = new authorizers.HttpLambdaAuthorizer('Tenant', policy, {
    responseTypes: [authorizers.HttpLambdaResponseType.IAM],
    identitySource: ['$request.header.X-Api-Token', '$request.querystring.tenant'],
    resultsCacheTtl: Duration.seconds(300),
  });
  tenantApi.addRoutes({
    path: '/orders',
    methods: [apigwv2.HttpMethod.GET],
    integration: route('TenantOrders'),
    authorizer: tenant,
  });

  // One API, four authorizers: each route names its own.
  const mixed = new apigwv2.HttpApi(stack, 'MixedApi');
  const team = new authorizers.HttpLambdaAuthorizer('Team', node(stack, 'TeamFn', SIMPLE_AUTHORIZER), {
    responseTypes: [authorizers.HttpLambdaResponseType.SIMPLE],
    identitySource: ['$request.header.X-Team'],
    resultsCacheTtl: Duration.seconds(300),
  });
  const token = new authorizers.HttpLambdaAuthorizer('Token', policy, {
    responseTypes: [authorizers.HttpLambdaResponseType.IAM],
    identitySource: ['$request.header.X-Team'],
    resultsCacheTtl: Duration.seconds(300),
  });
  const wide = new authorizers.HttpLambdaAuthorizer('Wide', node(stack, 'WideFn', WIDE_AUTHORIZER), {
    responseTypes: [authorizers.HttpLambdaResponseType.IAM],
    identitySource: ['$request.header.X-Team'],
    resultsCacheTtl: Duration.seconds(300),
  });
  const jwt = new authorizers.HttpJwtAuthorizer('Oidc', oidcIssuer, { jwtAudience: ['orders-api'] });
  mixed.addRoutes({
    path: '/team',
    methods: [apigwv2.HttpMethod.GET],
    integration: route('Team'),
    authorizer: team,
  });
  mixed.addRoutes({
    path: '/token',
    methods: [apigwv2.HttpMethod.GET],
    integration: route('Token'),
    authorizer: token,
  });
  mixed.addRoutes({
    path: '/wide',
    methods: [apigwv2.HttpMethod.GET],
    integration: route('Wide'),
    authorizer: wide,
  });
  mixed.addRoutes({
    path: '/orders',
    methods: [apigwv2.HttpMethod.GET],
    integration: route('Orders'),
    authorizer: jwt,
    authorizationScopes: ['orders:read'],
  });
  mixed.addRoutes({
    path: '/claims',
    methods: [apigwv2.HttpMethod.GET],
    integration: route('Claims'),
    authorizer: jwt,
  });

  // A REST streaming route anyone may call.
  const rest = new apigateway.RestApi(stack, 'StreamApi', { deploy: true });
  rest.root.addResource('stream').addMethod(
    'GET',
    new apigateway.LambdaIntegration(node(stack, 'Streamer', STREAMER), {
      proxy: true,
      responseTransferMode: apigateway.ResponseTransferMode.STREAM,
    }),
  );
  app.synth();
}
