/**
 * Converts the three API Gateway REQUEST authorizer payloads Keygate accepts into one small request shape,
 * so nothing after this step sees an AWS event. Anything else is `event_unrecognized`.
 *
 * - REST API REQUEST authorizer: no `version`, `methodArn`, `headers` + `multiValueHeaders`, query maps.
 * - HTTP API payload 1.0: `version: "1.0"`, otherwise the REST shape.
 * - HTTP API payload 2.0: `version: "2.0"`, `routeArn`, `routeKey`, `rawPath`, lower-cased `headers`
 *   (duplicates joined with commas), `cookies` array, `rawQueryString`, `requestContext.http.method`.
 * Shapes: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html
 * and https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
 */

export type ApiEventKind = 'rest' | 'http-1.0' | 'http-2.0';

/** The request as the pipeline sees it. Header names are lower-cased; every list keeps duplicates. */
export interface AuthRequest {
  readonly kind: ApiEventKind;
  /** API Gateway's request id: the decision log's correlation id. */
  readonly requestId: string;
  /** Method of the method/route ARN (the resource API Gateway evaluates a returned policy against). */
  readonly method: string;
  /** Concrete request path of the ARN, without the stage: `/models/sentiment/invoke`. */
  readonly path: string;
  /** `arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/`: policy resources start with it. */
  readonly arnPrefix: string;
  /** The full method ARN (REST, HTTP 1.0) or route ARN (HTTP 2.0). */
  readonly resourceArn: string;
  /** HTTP 2.0 only: the matched route key, e.g. `POST /models/{modelId}/invoke`. */
  readonly routeKey?: string;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  /** `name=value` pairs from the Cookie header(s) or the HTTP 2.0 `cookies` array. */
  readonly cookies: readonly string[];
  readonly query: ReadonlyMap<string, readonly string[]>;
}

export type ParseResult =
  | { readonly ok: true; readonly request: AuthRequest }
  | {
      readonly ok: false;
      readonly reason: 'event_unrecognized';
      readonly requestId?: string;
      readonly detail: string;
    };

/**
 * `arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/POST/models/sentiment/invoke`. The stage may be
 * `$default` (HTTP APIs). Only characters that are plain in a policy resource are accepted, so nothing from
 * the event can become a wildcard in the policy the authorizer writes.
 */
const METHOD_ARN =
  /^(arn:aws[a-z-]*:execute-api:[a-z0-9-]{1,32}:\d{12}:[A-Za-z0-9]{1,32}\/(?:\$default|[A-Za-z0-9_-]{1,128})\/)([A-Z]{3,7})(\/[^*?\s]*)$/;
const MAX_ARN_LENGTH = 1600;

function fail(detail: string, requestId?: string): ParseResult {
  return { ok: false, reason: 'event_unrecognized', requestId, detail };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function parseEvent(event: unknown): ParseResult {
  if (!isRecord(event)) return fail('event is not an object');
  const ctx = event.requestContext;
  const requestId =
    isRecord(ctx) && typeof ctx.requestId === 'string' ? ctx.requestId.slice(0, 128) : undefined;
  if (event.type !== 'REQUEST') return fail('type is not REQUEST', requestId);
  if (!isRecord(ctx) || requestId === undefined)
    return fail('requestContext.requestId is missing', requestId);

  const version = event.version;
  let kind: ApiEventKind;
  let arn: unknown;
  if (version === undefined) {
    kind = 'rest';
    arn = event.methodArn;
  } else if (version === '1.0') {
    kind = 'http-1.0';
    arn = event.methodArn;
  } else if (version === '2.0') {
    kind = 'http-2.0';
    arn = event.routeArn;
  } else {
    return fail('unknown payload version', requestId);
  }
  if (typeof arn !== 'string' || arn.length > MAX_ARN_LENGTH)
    return fail('method or route ARN is missing', requestId);
  const m = METHOD_ARN.exec(arn);
  if (!m) return fail('method or route ARN is malformed', requestId);

  let headers: Map<string, string[]>;
  let cookies: string[];
  let query: Map<string, string[]>;
  let routeKey: string | undefined;
  if (kind === 'http-2.0') {
    const http = ctx.http;
    if (!isRecord(http) || typeof http.method !== 'string')
      return fail('requestContext.http.method is missing', requestId);
    if (typeof event.routeKey !== 'string') return fail('routeKey is missing', requestId);
    routeKey = event.routeKey;
    const h = readHeaders(event.headers, undefined);
    if (!h) return fail('headers are malformed', requestId);
    headers = h;
    if (event.cookies !== undefined && !isStringArray(event.cookies))
      return fail('cookies are malformed', requestId);
    cookies = (event.cookies as string[] | undefined) ?? [];
    const q = readQuery2(event.rawQueryString, event.queryStringParameters);
    if (!q) return fail('query string is malformed', requestId);
    query = q;
  } else {
    if (typeof event.httpMethod !== 'string') return fail('httpMethod is missing', requestId);
    const h = readHeaders(event.headers, event.multiValueHeaders);
    if (!h) return fail('headers are malformed', requestId);
    headers = h;
    cookies = [];
    for (const line of headers.get('cookie') ?? []) cookies.push(...splitCookieHeader(line));
    const q = readQuery1(event.queryStringParameters, event.multiValueQueryStringParameters);
    if (!q) return fail('query string is malformed', requestId);
    query = q;
  }
  return {
    ok: true,
    request: {
      kind,
      requestId,
      arnPrefix: m[1],
      method: m[2],
      path: m[3],
      resourceArn: arn,
      routeKey,
      headers,
      cookies,
      query,
    },
  };
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

/**
 * Single-value headers plus, when given, multi-value headers (REST and HTTP 1.0). A name present in both
 * takes the multi-value list, which holds every value API Gateway received. Names are compared without
 * case, so `Authorization` and `authorization` sent together are two values of one header.
 */
function readHeaders(single: unknown, multi: unknown): Map<string, string[]> | undefined {
  const out = new Map<string, string[]>();
  if (single !== undefined && single !== null && !isRecord(single)) return undefined;
  if (multi !== undefined && multi !== null && !isRecord(multi)) return undefined;
  const multiNames = new Set<string>();
  if (isRecord(multi)) {
    for (const [name, values] of Object.entries(multi)) {
      if (values === null) continue;
      if (!isStringArray(values)) return undefined;
      const key = name.toLowerCase();
      multiNames.add(name);
      push(out, key, values);
    }
  }
  if (isRecord(single)) {
    for (const [name, value] of Object.entries(single)) {
      if (value === null) continue;
      if (typeof value !== 'string') return undefined;
      if (multiNames.has(name)) continue;
      push(out, name.toLowerCase(), [value]);
    }
  }
  return out;
}

function push(map: Map<string, string[]>, key: string, values: readonly string[]): void {
  const list = map.get(key);
  if (list) list.push(...values);
  else map.set(key, [...values]);
}

function readQuery1(single: unknown, multi: unknown): Map<string, string[]> | undefined {
  return readHeadersCaseSensitive(single, multi);
}

function readHeadersCaseSensitive(single: unknown, multi: unknown): Map<string, string[]> | undefined {
  const out = new Map<string, string[]>();
  if (single !== undefined && single !== null && !isRecord(single)) return undefined;
  if (multi !== undefined && multi !== null && !isRecord(multi)) return undefined;
  if (isRecord(multi)) {
    for (const [name, values] of Object.entries(multi)) {
      if (values === null) continue;
      if (!isStringArray(values)) return undefined;
      push(out, name, values);
    }
  }
  if (isRecord(single)) {
    for (const [name, value] of Object.entries(single)) {
      if (value === null) continue;
      if (typeof value !== 'string') return undefined;
      if (!out.has(name)) out.set(name, [value]);
    }
  }
  return out;
}

/**
 * HTTP 2.0 joins repeated query parameters with commas in `queryStringParameters`; the raw query string
 * keeps them apart, so it is preferred.
 */
function readQuery2(raw: unknown, single: unknown): Map<string, string[]> | undefined {
  if (raw !== undefined && typeof raw !== 'string') return undefined;
  if (typeof raw === 'string' && raw.length > 0) {
    const out = new Map<string, string[]>();
    for (const [k, v] of new URLSearchParams(raw)) push(out, k, [v]);
    return out;
  }
  return readHeadersCaseSensitive(single, undefined);
}

/** `a=1; b=2` -> [`a=1`, `b=2`] (RFC 6265 section 4.2.1). */
export function splitCookieHeader(line: string): string[] {
  return line
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
