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

/**
 * The request as the pipeline sees it. Headers, cookies and query parameters are read on demand (the
 * pipeline needs one or two of them, not the whole map); every accessor keeps duplicates.
 */
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
  /** Every value of a header; `name` in lower case, compared without case. */
  header(name: string): readonly string[];
  /** `name=value` pairs from the Cookie header(s), or the HTTP 2.0 `cookies` array. */
  cookies(): readonly string[];
  /** Every value of a query-string parameter (exact name). */
  query(name: string): readonly string[];
  /** The query string as received (HTTP 2.0) or rebuilt from the parameters (REST, HTTP 1.0), no `?`. */
  rawQuery(): string;
  /** Every header, lower-cased names (the browser-session path reads several). */
  headerMap(): ReadonlyMap<string, readonly string[]>;
  /** `requestContext.domainName` and `.stage`, when present (the browser-session path builds URLs). */
  readonly domainName?: string;
  readonly stage?: string;
}

export type ParseResult =
  | { readonly ok: true; readonly request: AuthRequest }
  | { readonly ok: false; readonly reason: 'event_unrecognized'; readonly requestId?: string };

/**
 * `arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/POST/models/sentiment/invoke`. The stage may be
 * `$default` (HTTP APIs). Only characters that are plain in a policy resource are accepted, so nothing from
 * the event can become a wildcard in the policy the authorizer writes.
 */
const METHOD_ARN =
  /^(arn:aws[a-z-]*:execute-api:[a-z0-9-]{1,32}:\d{12}:[A-Za-z0-9]{1,32}\/(?:\$default|[A-Za-z0-9_-]{1,128})\/)([A-Z]{3,7})(\/[^*?\s]*)$/;
const MAX_ARN_LENGTH = 1600;
const NONE: readonly string[] = [];

type Dict = Record<string, unknown>;

/** Any event that is not one of the three shapes, whatever is wrong with it: each check below says what. */
function fail(requestId?: string): ParseResult {
  return { ok: false, reason: 'event_unrecognized', requestId };
}

function isRecord(v: unknown): v is Dict {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Absent, or an object whose values are strings (or null). */
function isSingleMap(v: unknown): v is Dict | null | undefined {
  if (v === undefined || v === null) return true;
  if (!isRecord(v)) return false;
  for (const k in v) if (v[k] !== null && typeof v[k] !== 'string') return false;
  return true;
}

/** Absent, or an object whose values are lists of strings (or null). */
function isMultiMap(v: unknown): v is Dict | null | undefined {
  if (v === undefined || v === null) return true;
  if (!isRecord(v)) return false;
  for (const k in v) {
    const list = v[k];
    if (list === null) continue;
    if (!Array.isArray(list)) return false;
    for (const x of list) if (typeof x !== 'string') return false;
  }
  return true;
}

export function parseEvent(event: unknown): ParseResult {
  if (!isRecord(event)) return fail();
  const ctx = event.requestContext;
  const requestId =
    isRecord(ctx) && typeof ctx.requestId === 'string' ? ctx.requestId.slice(0, 128) : undefined;
  if (event.type !== 'REQUEST') return fail(requestId);
  if (!isRecord(ctx) || requestId === undefined) return fail(requestId);

  const version = event.version;
  let kind: ApiEventKind;
  if (version === undefined) kind = 'rest';
  else if (version === '1.0') kind = 'http-1.0';
  else if (version === '2.0') kind = 'http-2.0';
  else return fail(requestId);
  const arn = kind === 'http-2.0' ? event.routeArn : event.methodArn;
  if (typeof arn !== 'string' || arn.length > MAX_ARN_LENGTH) return fail(requestId);
  const m = METHOD_ARN.exec(arn);
  if (!m) return fail(requestId);

  const single = event.headers;
  if (!isSingleMap(single)) return fail(requestId);
  const params = event.queryStringParameters;
  if (!isSingleMap(params)) return fail(requestId);
  if (kind === 'http-2.0') {
    const http = ctx.http;
    if (!isRecord(http) || typeof http.method !== 'string') return fail(requestId);
    if (typeof event.routeKey !== 'string') return fail(requestId);
    const list = event.cookies;
    if (list !== undefined && !(Array.isArray(list) && list.every((c) => typeof c === 'string'))) {
      return fail(requestId);
    }
    const raw = event.rawQueryString;
    if (raw !== undefined && typeof raw !== 'string') return fail(requestId);
    return {
      ok: true,
      request: new Request(
        'http-2.0',
        requestId,
        m,
        arn,
        ctx,
        event.routeKey,
        single,
        undefined,
        params,
        undefined,
        list as string[] | undefined,
        raw,
      ),
    };
  }
  if (typeof event.httpMethod !== 'string') return fail(requestId);
  const multi = event.multiValueHeaders;
  if (!isMultiMap(multi)) return fail(requestId);
  const multiParams = event.multiValueQueryStringParameters;
  if (!isMultiMap(multiParams)) return fail(requestId);
  return {
    ok: true,
    request: new Request(kind, requestId, m, arn, ctx, undefined, single, multi, params, multiParams),
  };
}

/**
 * One parsed request. REST and HTTP 1.0 carry single- and multi-value headers and query parameters and
 * cookies in the Cookie header; HTTP 2.0 lower-cased single-value headers, a cookies array and the raw
 * query string (repeated parameters are joined with commas in its queryStringParameters, kept apart in
 * the raw string).
 */
class Request implements AuthRequest {
  readonly arnPrefix: string;
  readonly method: string;
  readonly path: string;
  readonly domainName?: string;
  readonly stage?: string;
  constructor(
    readonly kind: ApiEventKind,
    readonly requestId: string,
    arnMatch: RegExpExecArray,
    readonly resourceArn: string,
    ctx: Dict,
    readonly routeKey: string | undefined,
    private readonly single: Dict | null | undefined,
    private readonly multi: Dict | null | undefined,
    private readonly params: Dict | null | undefined,
    private readonly multiParams: Dict | null | undefined,
    private readonly cookieList?: readonly string[],
    private readonly raw?: string,
  ) {
    [, this.arnPrefix, this.method, this.path] = arnMatch;
    if (typeof ctx.domainName === 'string') this.domainName = ctx.domainName;
    if (typeof ctx.stage === 'string') this.stage = ctx.stage;
  }
  header(name: string): readonly string[] {
    return headerValues(this.single, this.multi, name);
  }
  headerMap(): ReadonlyMap<string, readonly string[]> {
    return allHeaders(this.single, this.multi);
  }
  cookies(): readonly string[] {
    if (this.kind === 'http-2.0') return this.cookieList ?? NONE;
    return this.header('cookie').flatMap(splitCookieHeader);
  }
  query(name: string): readonly string[] {
    if (this.raw) return new URLSearchParams(this.raw).getAll(name);
    const list = this.multiParams?.[name];
    return Array.isArray(list) ? (list as string[]) : one(this.params, name);
  }
  rawQuery(): string {
    if (this.kind === 'http-2.0') return this.raw ?? '';
    const q = new URLSearchParams();
    for (const name of new Set([...Object.keys(this.multiParams ?? {}), ...Object.keys(this.params ?? {})])) {
      for (const v of this.query(name)) q.append(name, v);
    }
    return q.toString();
  }
}

function allHeaders(single: Dict | null | undefined, multi: Dict | null | undefined): Map<string, string[]> {
  const names = new Set<string>();
  for (const k in multi ?? {}) names.add(k.toLowerCase());
  for (const k in single ?? {}) names.add(k.toLowerCase());
  return new Map([...names].map((n) => [n, headerValues(single, multi, n)]));
}

function one(map: Dict | null | undefined, name: string): readonly string[] {
  const v = map && Object.prototype.hasOwnProperty.call(map, name) ? map[name] : undefined;
  return typeof v === 'string' ? [v] : NONE;
}

/**
 * Every value of a header, from single-value headers plus, when given, multi-value headers (REST and
 * HTTP 1.0). A name present in both takes the multi-value list, which holds every value API Gateway
 * received. Names are compared without case, so `Authorization` and `authorization` sent together are
 * two values of one header.
 */
function headerValues(
  single: Dict | null | undefined,
  multi: Dict | null | undefined,
  name: string,
): string[] {
  const out: string[] = [];
  if (multi) {
    for (const k in multi) {
      const list = multi[k];
      if (k.length === name.length && Array.isArray(list) && k.toLowerCase() === name)
        out.push(...(list as string[]));
    }
  }
  if (single) {
    for (const k in single) {
      const v = single[k];
      if (k.length !== name.length || typeof v !== 'string' || k.toLowerCase() !== name) continue;
      if (multi && Array.isArray(multi[k])) continue;
      out.push(v);
    }
  }
  return out;
}

/** `a=1; b=2` -> [`a=1`, `b=2`] (RFC 6265 section 4.2.1). */
export function splitCookieHeader(line: string): string[] {
  return line
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
