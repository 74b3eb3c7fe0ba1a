/**
 * API Gateway proxy events in and out of the sign-in core: REST (payload 1.0), HTTP API payload 1.0 and
 * 2.0. Pure; the core never sees AWS types.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
 */
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { parseCookies } from '../../common/session/cookies';
import { publicBaseUrl } from '../../common/session/public-url';
import type { SignInRequest, SignInResponse } from './sign-in';

export type EventKind = 'v1' | 'v2';

export interface ParsedEvent {
  readonly kind: EventKind;
  readonly request: SignInRequest;
}

function isV2(event: unknown): event is APIGatewayProxyEventV2 {
  return typeof event === 'object' && event !== null && (event as { version?: unknown }).version === '2.0';
}

/** Undefined when the event is not a proxy event of a known shape or the base URL cannot be known. */
export function parseProxyEvent(event: unknown, publicBaseUrlOverride?: string): ParsedEvent | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  if (isV2(event)) {
    const rc = event.requestContext;
    const routeKey = typeof event.routeKey === 'string' ? event.routeKey : '';
    const space = routeKey.indexOf(' ');
    const method = rc?.http?.method;
    const baseUrl = publicBaseUrl(rc?.domainName, rc?.stage, publicBaseUrlOverride);
    if (space < 0 || typeof method !== 'string' || !baseUrl) return undefined;
    return {
      kind: 'v2',
      request: {
        method: method.toUpperCase(),
        // The route key's path, not rawPath: rawPath carries the stage name on execute-api hostnames.
        path: routeKey.slice(space + 1),
        query: { ...(event.queryStringParameters ?? {}) },
        cookies: parseCookies(Array.isArray(event.cookies) ? event.cookies : []),
        // Payload 2.0 headers are lower-cased already, repeated ones joined with commas.
        headers: lowerCased(event.headers, undefined),
        baseUrl,
      },
    };
  }
  const v1 = event as Partial<APIGatewayProxyEvent>;
  const rc = v1.requestContext;
  const method = v1.httpMethod;
  const baseUrl = publicBaseUrl(rc?.domainName, rc?.stage, publicBaseUrlOverride);
  if (typeof method !== 'string' || typeof v1.resource !== 'string' || !baseUrl) return undefined;
  const cookieHeaders: string[] = [];
  const multi = v1.multiValueHeaders ?? {};
  const single = v1.headers ?? {};
  for (const [name, values] of Object.entries(multi)) {
    if (name.toLowerCase() === 'cookie' && Array.isArray(values)) cookieHeaders.push(...values);
  }
  if (cookieHeaders.length === 0) {
    for (const [name, value] of Object.entries(single)) {
      if (name.toLowerCase() === 'cookie' && typeof value === 'string') cookieHeaders.push(value);
    }
  }
  return {
    kind: 'v1',
    request: {
      method: method.toUpperCase(),
      path: v1.resource,
      query: { ...(v1.queryStringParameters ?? {}) },
      cookies: parseCookies(cookieHeaders),
      headers: lowerCased(single, multi),
      baseUrl,
    },
  };
}

/**
 * Header names lower-cased, every value kept: a repeated header is joined with `, `, so a doubled Origin
 * can never equal an allowed origin. REST and HTTP 1.0 carry every value in multiValueHeaders.
 */
function lowerCased(
  single: Record<string, string | undefined> | null | undefined,
  multi: Record<string, string[] | undefined> | null | undefined,
): Record<string, string> {
  const values = new Map<string, string[]>();
  for (const [name, list] of Object.entries(multi ?? {})) {
    if (!Array.isArray(list)) continue;
    const key = name.toLowerCase();
    values.set(key, [...(values.get(key) ?? []), ...list.filter((v) => typeof v === 'string')]);
  }
  for (const [name, value] of Object.entries(single ?? {})) {
    const key = name.toLowerCase();
    if (typeof value !== 'string' || Array.isArray(multi?.[name])) continue;
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  return Object.fromEntries([...values].map(([k, v]) => [k, v.join(', ')]));
}

/** REST and HTTP 1.0 take repeated Set-Cookie in multiValueHeaders; HTTP 2.0 in `cookies`. */
export function toProxyResult(
  res: SignInResponse,
  kind: EventKind,
): APIGatewayProxyResult | APIGatewayProxyStructuredResultV2 {
  if (kind === 'v2') {
    return { statusCode: res.status, headers: { ...res.headers }, cookies: [...res.cookies], body: res.body };
  }
  return {
    statusCode: res.status,
    headers: { ...res.headers },
    multiValueHeaders: res.cookies.length ? { 'Set-Cookie': [...res.cookies] } : {},
    body: res.body,
  };
}
