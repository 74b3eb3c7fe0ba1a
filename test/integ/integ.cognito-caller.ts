/**
 * Deploy test with a real token issuer: a Cognito user pool whose client-credentials app clients get
 * access tokens inside AWS, a Keygate authorizer that trusts the pool, and an HTTP API over a demo model.
 * The route requires the OAuth scope `keygate-integ/models.invoke` (Cognito puts a client-credentials
 * token's scopes in its `scope` claim, which the authorizer maps to scopes).
 *
 * After deployment the assertions
 *   - read each app client's secret (DescribeUserPoolClient) and get a token from the pool's token endpoint;
 *   - call the model route: no token → 401; the client without the scope → 403; the client with it → 200
 *     and the model's answer;
 *   - invoke a function that signs (SigV4) a call to the IAM route with its own role → 200 and the model list;
 *   - find the authorizer's `deny`/`route_forbidden` decision line in CloudWatch Logs.
 *
 * See docs/integration-tests.md for running it in an account and what it costs.
 */
import * as path from 'node:path';
import { App, Aws, Fn, RemovalPolicies, Stack } from 'aws-cdk-lib';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { Requirement, RouteAuth } from '../../lib/api/route-auth';
import { SecuredHttpApi } from '../../lib/api/secured-http-api';
import { KeygateAuthorizer } from '../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../lib/authorizer/trusted-issuer';
import { Model } from '../../lib/backends/model';
import { ModelBackend } from '../../lib/backends/model-backend';
import { expectDecisionLogged, expectHttp } from './deploy-assertions';

const app = new App();
const stack = new Stack(app, 'KeygateIntegCognito');
RemovalPolicies.of(stack).destroy();

// GIVEN a user pool with a resource server of two scopes and one client-credentials app client per scope
const pool = new cognito.UserPool(stack, 'Pool', { selfSignUpEnabled: false });
const invokeScope = new cognito.ResourceServerScope({
  scopeName: 'models.invoke',
  scopeDescription: 'Invoke models',
});
const otherScope = new cognito.ResourceServerScope({
  scopeName: 'other',
  scopeDescription: 'A scope no route requires',
});
const server = pool.addResourceServer('ResourceServer', {
  identifier: 'keygate-integ',
  scopes: [invokeScope, otherScope],
});
// The token endpoint lives on the pool's domain; the prefix must be unique in the region, hence the account.
const domain = pool.addDomain('Domain', {
  cognitoDomain: { domainPrefix: Fn.join('-', ['keygate-integ', Aws.ACCOUNT_ID]) },
});
const machineClient = (id: string, scope: cognito.ResourceServerScope): cognito.UserPoolClient =>
  pool.addClient(id, {
    generateSecret: true,
    oAuth: {
      flows: { clientCredentials: true },
      scopes: [cognito.OAuthScope.resourceServer(server, scope)],
    },
  });
const holder = machineClient('Holder', invokeScope);
const other = machineClient('Other', otherScope);

// AND the IAM caller: a function that signs with its own role
const caller = new nodejs.NodejsFunction(stack, 'IamCaller', {
  entry: path.join(__dirname, 'iam-caller.ts'),
  runtime: lambda.Runtime.NODEJS_22_X,
  architecture: lambda.Architecture.ARM_64,
  bundling: { minify: true, sourceMap: false },
});

// AND Keygate: the authorizer trusting both clients, the model backend, an HTTP API with both route kinds
const requirement = Requirement.allOf({ scopes: ['keygate-integ/models.invoke'] });
const authorizer = new KeygateAuthorizer(stack, 'Authorizer', {
  issuers: [TrustedIssuer.cognitoUserPool(pool, [holder, other])],
});
const backend = new ModelBackend(stack, 'Models', {
  models: [Model.demo('sentiment', 'sentiment')],
  invokeRequirement: requirement,
  machineCallers: [{ role: caller.role!, routes: ['GET /machine/models'] }],
});
const api = new SecuredHttpApi(stack, 'HttpApi', {
  authorizer,
  routes: [
    {
      method: HttpMethod.POST,
      path: '/models/{modelId}/invoke',
      backend: backend.function,
      auth: RouteAuth.keycloak(requirement),
    },
    { method: HttpMethod.GET, path: '/machine/models', backend: backend.function, auth: RouteAuth.iam() },
  ],
});
api.grantInvoke(caller, HttpMethod.GET, '/machine/models');

const integ = new IntegTest(app, 'KeygateCognitoCaller', {
  testCases: [stack],
  cdkCommandOptions: { destroy: { args: { force: true } } },
});

/** A client-credentials access token of `client`, its secret read from Cognito inside the account. */
function accessToken(client: cognito.UserPoolClient): string {
  const described = integ.assertions.awsApiCall('CognitoIdentityServiceProvider', 'describeUserPoolClient', {
    UserPoolId: pool.userPoolId,
    ClientId: client.userPoolClientId,
  });
  const secret = described.getAttString('UserPoolClient.ClientSecret');
  // https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html: client_secret_basic
  const token = integ.assertions.httpApiCall(`${domain.baseUrl()}/oauth2/token`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: `Basic ${Fn.base64(`${client.userPoolClientId}:${secret}`)}`,
    },
    body: 'grant_type=client_credentials',
  });
  return token.getAttString('body.access_token');
}

const invokeUrl = `${api.url}models/sentiment/invoke`;
const input = JSON.stringify({ input: 'What a great day' });
const json = { 'Content-Type': 'application/json' };

// THEN no token: 401
expectHttp(integ, invokeUrl, { method: 'POST', headers: json, body: input, status: 401 });
// AND a valid token without the route's scope: 403, and the decision logged
expectHttp(integ, invokeUrl, {
  method: 'POST',
  headers: { ...json, Authorization: `Bearer ${accessToken(other)}` },
  body: input,
  status: 403,
}).next(expectDecisionLogged(integ, authorizer.logGroup, 'deny', 'route_forbidden'));
// AND a token with it: 200 and the model's answer
expectHttp(integ, invokeUrl, {
  method: 'POST',
  headers: { ...json, Authorization: `Bearer ${accessToken(holder)}` },
  body: input,
  status: 200,
  responseBody: { modelId: 'sentiment', output: Match.objectLike({ label: 'positive' }) },
});
// AND the IAM route, signed with the caller function's role: 200 and the model it may see
integ.assertions
  .invokeFunction({ functionName: caller.functionName, payload: JSON.stringify({ baseUrl: api.url }) })
  .expect(
    ExpectedResult.objectLike({ Payload: Match.serializedJson({ status: 200, models: ['sentiment'] }) }),
  );

app.synth();
