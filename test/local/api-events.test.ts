import { describe, expect, it } from 'vitest';
import {
  authorizerEventRest,
  authorizerEventV2,
  headersV2,
  proxyEventRest,
  proxyEventV2,
} from '../../local/gateway/api-events';
import type { ApiContext, IncomingRequest, MatchedRoute } from '../../local/gateway/api-events';

// Field names of AWS's sample events (aws-lambda-events / API Gateway developer guide), so the local
// gateway's events keep the documented shape. `authentication` appears only with mutual TLS and
// `stageVariables` only when a stage defines some.
const AWS = {
  authorizerV2:
    'cookies headers identitySource pathParameters queryStringParameters rawPath rawQueryString requestContext routeArn routeKey stageVariables type version',
  authorizerV2Context:
    'accountId apiId authentication domainName domainPrefix http requestId routeKey stage time timeEpoch',
  http: 'method path protocol sourceIp userAgent',
  authorizerRest:
    'headers httpMethod methodArn multiValueHeaders multiValueQueryStringParameters path pathParameters queryStringParameters requestContext resource stageVariables type',
  proxyV2:
    'body cookies headers isBase64Encoded pathParameters queryStringParameters rawPath rawQueryString requestContext routeKey stageVariables version',
  proxyRest:
    'body headers httpMethod multiValueHeaders multiValueQueryStringParameters path pathParameters queryStringParameters requestContext resource stageVariables',
  proxyRestContext:
    'accountId apiId authorizer domainName domainPrefix extendedRequestId httpMethod identity path protocol requestId requestTime requestTimeEpoch resourceId resourcePath stage',
  restIdentity:
    'accessKey accountId apiKey apiKeyId caller clientCert cognitoAuthenticationProvider cognitoAuthenticationType cognitoIdentityId cognitoIdentityPoolId sourceIp user userAgent userArn',
  iamV2: 'accessKey accountId callerId cognitoIdentity principalOrgId userArn userId',
};
const OPTIONAL = new Set(['authentication', 'stageVariables']);
const keys = (o: unknown) => Object.keys(o as object).sort();
const expectShape = (actual: unknown, aws: string, extraAllowed: string[] = []) => {
  const expected = aws.split(' ');
  expect(keys(actual).filter((k) => !expected.includes(k) && !extraAllowed.includes(k))).toEqual([]);
  expect(expected.filter((k) => !OPTIONAL.has(k) && !keys(actual).includes(k))).toEqual([]);
};

const http: ApiContext = {
  type: 'http',
  region: 'eu-west-1',
  accountId: '000000000000',
  apiId: 'local',
  stage: '$default',
};
const rest: ApiContext = { ...http, type: 'rest', stage: 'local' };
const req: IncomingRequest = {
  method: 'POST',
  rawPath: '/models/sentiment/invoke',
  rawQuery: 'a=1&a=2&b=x%20y',
  headers: [
    ['Authorization', 'Bearer t'],
    ['Accept', 'text/plain'],
    ['accept', 'application/json'],
    ['Cookie', 'c1=v1; c2=v2'],
    ['Content-Type', 'application/json'],
    ['User-Agent', 'test'],
  ],
  body: Buffer.from('{"input":"x"}'),
  sourceIp: '127.0.0.1',
  requestId: 'req-1',
  timeEpoch: Date.UTC(2026, 10, 22, 13, 5, 9),
  host: '127.0.0.1:8080',
};
const route: MatchedRoute = {
  routeKey: 'POST /models/{modelId}/invoke',
  resource: '/models/{modelId}/invoke',
  params: { modelId: 'sentiment' },
};

describe('API Gateway events of the local gateway', () => {
  it('builds the HTTP API payload 2.0 authorizer event', () => {
    const e = authorizerEventV2(http, req, route, ['Bearer t']) as Record<string, never>;
    expectShape(e, AWS.authorizerV2);
    expectShape(e.requestContext, AWS.authorizerV2Context);
    expectShape((e.requestContext as Record<string, unknown>).http, AWS.http);
    expect(e).toMatchObject({
      version: '2.0',
      type: 'REQUEST',
      routeArn: 'arn:aws:execute-api:eu-west-1:000000000000:local/$default/POST/models/sentiment/invoke',
      identitySource: ['Bearer t'],
      routeKey: 'POST /models/{modelId}/invoke',
      cookies: ['c1=v1', 'c2=v2'],
      headers: { authorization: 'Bearer t', accept: 'text/plain,application/json' },
      queryStringParameters: { a: '1,2', b: 'x y' },
      rawQueryString: 'a=1&a=2&b=x%20y',
      pathParameters: { modelId: 'sentiment' },
      requestContext: {
        time: '22/Nov/2026:13:05:09 +0000',
        stage: '$default',
        http: { method: 'POST', sourceIp: '127.0.0.1', userAgent: 'test' },
      },
    });
    expect(e.headers).not.toHaveProperty('cookie');
  });

  it('builds the REST API REQUEST authorizer event', () => {
    const e = authorizerEventRest(rest, req, route) as Record<string, never>;
    expectShape(e, AWS.authorizerRest);
    expect(e).toMatchObject({
      methodArn: 'arn:aws:execute-api:eu-west-1:000000000000:local/local/POST/models/sentiment/invoke',
      resource: '/models/{modelId}/invoke',
      headers: { Authorization: 'Bearer t', accept: 'application/json' },
      multiValueHeaders: { Accept: ['text/plain'], accept: ['application/json'] },
      multiValueQueryStringParameters: { a: ['1', '2'], b: ['x y'] },
    });
  });

  it('builds the HTTP API payload 2.0 proxy event with the Lambda authorizer context or the IAM caller', () => {
    const { headers, cookies } = headersV2(req.headers);
    const lambda = proxyEventV2(http, req, route, headers, cookies, {
      kind: 'lambda',
      principalId: 'p',
      context: { sub: 'p' },
    }) as Record<string, never>;
    expectShape(lambda, AWS.proxyV2);
    expect(lambda).toMatchObject({
      body: '{"input":"x"}',
      isBase64Encoded: false,
      requestContext: { authorizer: { lambda: { sub: 'p' } } },
    });
    const iam = proxyEventV2(http, req, route, headers, cookies, {
      kind: 'iam',
      identity: {
        accessKey: 'AKIA',
        accountId: '000000000000',
        callerId: 'AROA:s',
        userArn: 'arn:aws:sts::000000000000:assumed-role/r/s',
      },
    }) as { requestContext: { authorizer: { iam: unknown } } };
    expectShape(iam.requestContext.authorizer.iam, AWS.iamV2);
  });

  it('builds the REST proxy event, base64-encoding a binary body', () => {
    const binary = {
      ...req,
      headers: [['Content-Type', 'application/octet-stream']] as [string, string][],
      body: Buffer.from([0, 255]),
    };
    const e = proxyEventRest(rest, binary, route, binary.headers, {
      kind: 'lambda',
      principalId: 'p',
      context: { sub: 'p' },
    }) as Record<string, never>;
    expectShape(e, AWS.proxyRest, ['isBase64Encoded']);
    expectShape(e.requestContext, AWS.proxyRestContext);
    // principalOrgId: in current REST events, newer than the sample.
    expectShape((e.requestContext as Record<string, unknown>).identity, AWS.restIdentity, ['principalOrgId']);
    expect(e).toMatchObject({
      body: 'AP8=',
      isBase64Encoded: true,
      requestContext: { authorizer: { principalId: 'p', sub: 'p' }, path: '/local/models/sentiment/invoke' },
    });
  });
});
