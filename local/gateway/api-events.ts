/**
 * Builds the events API Gateway hands to Lambda functions, from a raw HTTP request: REQUEST authorizer
 * events (HTTP API payload 2.0, REST API) and proxy integration events (HTTP API payload 2.0, REST API).
 * Shapes follow the documented payloads:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */

export type ApiType = 'http' | 'rest';

export interface ApiContext {
  readonly type: ApiType;
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
  /** `$default` for HTTP APIs; a named stage for REST APIs. */
  readonly stage: string;
}

export interface IncomingRequest {
  readonly method: string;
  /** As received, percent-encoded, without the query. */
  readonly rawPath: string;
  readonly rawQuery: string;
  /** `[name, value]` pairs in arrival order (Node's rawHeaders). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly sourceIp: string;
  readonly requestId: string;
  readonly timeEpoch: number;
  readonly host: string;
}

export interface MatchedRoute {
  /** `POST /models/{modelId}/invoke` */
  readonly routeKey: string;
  /** `/models/{modelId}/invoke` */
  readonly resource: string;
  readonly params: Readonly<Record<string, string>>;
}

/** `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/<path>` */
export function methodArn(api: ApiContext, method: string, rawPath: string): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${method}${rawPath}`;
}

/** HTTP API 2.0: lower-cased names, repeated headers joined with commas; cookies moved to their own list. */
export function headersV2(raw: IncomingRequest['headers']): {
  headers: Record<string, string>;
  cookies: string[];
} {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of raw) {
    const key = name.toLowerCase();
    if (key === 'cookie') {
      for (const c of value.split(';')) if (c.trim()) cookies.push(c.trim());
      continue;
    }
    headers[key] = key in headers ? `${headers[key]},${value}` : value;
  }
  return { headers, cookies };
}

/** REST: the last value of each header by its received name, and every value in multiValueHeaders. */
export function headersV1(raw: IncomingRequest['headers']): {
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
} {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of raw) {
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { headers, multiValueHeaders };
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function queryPairs(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const i = p.indexOf('=');
      return i < 0 ? [decode(p), ''] : [decode(p.slice(0, i)), decode(p.slice(i + 1))];
    });
}

function queryV2(rawQuery: string): Record<string, string> | undefined {
  const pairs = queryPairs(rawQuery);
  if (pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) out[k] = k in out ? `${out[k]},${v}` : v;
  return out;
}

function queryV1(rawQuery: string): {
  queryStringParameters: Record<string, string> | null;
  multiValueQueryStringParameters: Record<string, string[]> | null;
} {
  const pairs = queryPairs(rawQuery);
  if (pairs.length === 0) return { queryStringParameters: null, multiValueQueryStringParameters: null };
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [k, v] of pairs) {
    single[k] = v;
    (multi[k] ??= []).push(v);
  }
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

function clfTime(epoch: number): string {
  // API Gateway's `time`: 12/Mar/2020:19:03:58 +0000
  const d = new Date(epoch);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function userAgent(raw: IncomingRequest['headers']): string {
  for (const [n, v] of raw) if (n.toLowerCase() === 'user-agent') return v;
  return '';
}

function httpContext(api: ApiContext, req: IncomingRequest, routeKey: string) {
  return {
    accountId: api.accountId,
    apiId: api.apiId,
    domainName: req.host,
    domainPrefix: req.host.split('.')[0].split(':')[0],
    http: {
      method: req.method,
      path: req.rawPath,
      protocol: 'HTTP/1.1',
      sourceIp: req.sourceIp,
      userAgent: userAgent(req.headers),
    },
    requestId: req.requestId,
    routeKey,
    stage: api.stage,
    time: clfTime(req.timeEpoch),
    timeEpoch: req.timeEpoch,
  };
}

function restContext(api: ApiContext, req: IncomingRequest, resource: string) {
  return {
    accountId: api.accountId,
    apiId: api.apiId,
    domainName: req.host,
    domainPrefix: req.host.split('.')[0].split(':')[0],
    extendedRequestId: req.requestId,
    httpMethod: req.method,
    path: `/${api.stage}${req.rawPath}`,
    protocol: 'HTTP/1.1',
    requestId: req.requestId,
    requestTime: clfTime(req.timeEpoch),
    requestTimeEpoch: req.timeEpoch,
    resourceId: 'local',
    resourcePath: resource,
    stage: api.stage,
  };
}

function restIdentity(req: IncomingRequest, iam?: IamIdentity) {
  return {
    accessKey: iam?.accessKey ?? null,
    accountId: iam?.accountId ?? null,
    apiKey: null,
    apiKeyId: null,
    clientCert: null,
    caller: iam?.callerId ?? null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp: req.sourceIp,
    user: iam?.callerId ?? null,
    userAgent: userAgent(req.headers),
    userArn: iam?.userArn ?? null,
  };
}

/** HTTP API REQUEST authorizer event, payload format 2.0. */
export function authorizerEventV2(
  api: ApiContext,
  req: IncomingRequest,
  route: MatchedRoute,
  identitySource: readonly string[],
): Record<string, unknown> {
  const { headers, cookies } = headersV2(req.headers);
  const query = queryV2(req.rawQuery);
  return {
    version: '2.0',
    type: 'REQUEST',
    routeArn: methodArn(api, req.method, req.rawPath),
    identitySource: [...identitySource],
    routeKey: route.routeKey,
    rawPath: req.rawPath,
    rawQueryString: req.rawQuery,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: httpContext(api, req, route.routeKey),
    ...(Object.keys(route.params).length ? { pathParameters: { ...route.params } } : {}),
  };
}

/** REST API REQUEST authorizer event. */
export function authorizerEventRest(
  api: ApiContext,
  req: IncomingRequest,
  route: MatchedRoute,
): Record<string, unknown> {
  return {
    type: 'REQUEST',
    methodArn: methodArn(api, req.method, req.rawPath),
    resource: route.resource,
    path: req.rawPath,
    httpMethod: req.method,
    ...headersV1(req.headers),
    ...queryV1(req.rawQuery),
    pathParameters: { ...route.params },
    stageVariables: {},
    requestContext: { ...restContext(api, req, route.resource), identity: restIdentity(req) },
  };
}

export interface IamIdentity {
  readonly accessKey: string;
  readonly accountId: string;
  readonly callerId: string;
  readonly userArn: string;
}

export type IntegrationAuthorizer =
  | {
      readonly kind: 'lambda';
      readonly principalId: string;
      readonly context: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'iam'; readonly identity: IamIdentity }
  /** A route without authorization. */
  | { readonly kind: 'none' };

function isTextual(headers: Record<string, string>): boolean {
  const type = (headers['content-type'] ?? '').toLowerCase();
  return type === '' || /^(text\/|application\/(json|x-www-form-urlencoded|xml|[\w.+-]*\+json))/.test(type);
}

/** HTTP API proxy integration event, payload format 2.0. `headers` already carry the forwarded identity. */
export function proxyEventV2(
  api: ApiContext,
  req: IncomingRequest,
  route: MatchedRoute,
  headersIn: Record<string, string>,
  cookies: readonly string[],
  authorizer: IntegrationAuthorizer,
): Record<string, unknown> {
  const query = queryV2(req.rawQuery);
  const textual = isTextual(headersIn);
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: req.rawPath,
    rawQueryString: req.rawQuery,
    ...(cookies.length ? { cookies: [...cookies] } : {}),
    headers: headersIn,
    ...(query ? { queryStringParameters: query } : {}),
    ...(Object.keys(route.params).length ? { pathParameters: { ...route.params } } : {}),
    requestContext: {
      ...httpContext(api, req, route.routeKey),
      ...integrationAuthorizerV2(authorizer),
    },
    ...(req.body.length
      ? { body: textual ? req.body.toString('utf8') : req.body.toString('base64'), isBase64Encoded: !textual }
      : { isBase64Encoded: false }),
  };
}

function integrationAuthorizerV2(authorizer: IntegrationAuthorizer): Record<string, unknown> {
  switch (authorizer.kind) {
    case 'none':
      return {};
    case 'lambda':
      return { authorizer: { lambda: { ...authorizer.context } } };
    case 'iam':
      return {
        authorizer: {
          iam: {
            accessKey: authorizer.identity.accessKey,
            accountId: authorizer.identity.accountId,
            callerId: authorizer.identity.callerId,
            cognitoIdentity: null,
            principalOrgId: null,
            userArn: authorizer.identity.userArn,
            userId: authorizer.identity.callerId,
          },
        },
      };
  }
}

/** REST API proxy integration event. */
export function proxyEventRest(
  api: ApiContext,
  req: IncomingRequest,
  route: MatchedRoute,
  rawHeaders: IncomingRequest['headers'],
  authorizer: IntegrationAuthorizer,
): Record<string, unknown> {
  const h = headersV1(rawHeaders);
  const lower = Object.fromEntries(Object.entries(h.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const textual = isTextual(lower);
  const ctx = restContext(api, req, route.resource);
  return {
    resource: route.resource,
    path: req.rawPath,
    httpMethod: req.method,
    ...h,
    ...queryV1(req.rawQuery),
    pathParameters: Object.keys(route.params).length ? { ...route.params } : null,
    stageVariables: null,
    requestContext:
      authorizer.kind === 'none'
        ? { ...ctx, identity: restIdentity(req) }
        : authorizer.kind === 'lambda'
          ? {
              ...ctx,
              identity: restIdentity(req),
              authorizer: { principalId: authorizer.principalId, ...authorizer.context },
            }
          : { ...ctx, identity: restIdentity(req, authorizer.identity) },
    body: req.body.length ? (textual ? req.body.toString('utf8') : req.body.toString('base64')) : null,
    isBase64Encoded: req.body.length > 0 && !textual,
  };
}
