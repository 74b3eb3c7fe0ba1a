import type { Duration } from 'aws-cdk-lib';
import type { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RouteSpec } from '../../common/route-model';
import { parsePathTemplate, routeIssues, routeKey } from '../../common/route-model';
import type { RouteAuth } from './route-auth';
import { routeServed } from '../internal/served-routes';
import { KeygateValidationError, issuesError } from '../internal/validation-error';
import type { IConstruct } from 'constructs';

/** A route of a secured API. The same shape serves HTTP and REST APIs. */
export interface SecuredRouteOptions {
  /** HTTP method. */
  readonly method: HttpMethod;
  /** Path template, e.g. `/models/{modelId}/invoke`; a final `{name+}` is greedy. */
  readonly path: string;
  /** The Lambda function that serves the route. Several routes may share one. */
  readonly backend: IFunction;
  /** How the route is authorized: `RouteAuth.keycloak(...)`, `RouteAuth.iam()` or `RouteAuth.cognitoUserPool(...)`. */
  readonly auth: RouteAuth;
  /**
   * A page people open in a browser: without a session they are sent to sign-in instead of getting a
   * bare 401 (GET Keycloak routes, with the authorizer's `browserSessions`).
   * @default false
   */
  readonly browser?: boolean;
  /**
   * Stream the backend's answer to the caller as it is written (REST APIs only): the method's Lambda proxy
   * integration uses response transfer mode STREAM (Lambda InvokeWithResponseStream, up to 15 minutes,
   * past the 29-second integration timeout and the 10 MB payload limit), so `backend` must be a
   * response-streaming function such as `ModelBackend.streamFunction`. HTTP APIs cannot stream: a
   * SecuredHttpApi refuses such a route.
   * @default false
   */
  readonly stream?: boolean;
}

/** CORS for browser callers. Preflight requests are answered by API Gateway and never reach the authorizer. */
export interface SecuredApiCorsOptions {
  /** Allowed origins, e.g. `https://app.example.com`. */
  readonly allowOrigins: string[];
  /**
   * Allowed request headers.
   * @default ['Authorization', 'Content-Type']
   */
  readonly allowHeaders?: string[];
  /**
   * How long browsers may cache a preflight answer.
   * @default Duration.minutes(10)
   */
  readonly maxAge?: Duration;
}

/** Refuses CORS options that allow no origin (both Secured APIs check them the same way). */
export function checkCors(scope: IConstruct, cors: SecuredApiCorsOptions | undefined, owner: string): void {
  if (cors && cors.allowOrigins.length === 0) {
    throw new KeygateValidationError(
      scope,
      'cors.allowOrigins',
      `${owner}: cors.allowOrigins must list at least one origin`,
    );
  }
}

/** Stage-wide request throttling. */
export interface SecuredApiThrottle {
  /** Steady-state requests per second. */
  readonly rateLimit: number;
  /** Burst size. */
  readonly burstLimit: number;
}

export const DEFAULT_CORS_HEADERS = ['Authorization', 'Content-Type'];
export const DEFAULT_THROTTLE: SecuredApiThrottle = { rateLimit: 100, burstLimit: 200 };

/** @internal one route of an API with its backend */
export interface RouteEntry {
  readonly spec: RouteSpec;
  readonly options: SecuredRouteOptions;
}

/**
 * The routes of one API, validated with the shared route model on every addition so that an invalid
 * table fails at synth with a message naming the route (`routes[2].path: ...`).
 * @internal
 */
export class RouteTable {
  public readonly entries: RouteEntry[] = [];

  constructor(
    private readonly scope: IConstruct,
    private readonly owner: string,
  ) {}

  public add(options: SecuredRouteOptions): RouteEntry {
    const spec: RouteSpec = {
      method: options.method as RouteSpec['method'],
      path: options.path,
      auth: options.auth._kind,
      ...(options.auth._requirement ? { requirement: options.auth._requirement } : {}),
    };
    const issues = routeIssues([...this.entries.map((e) => e.spec), spec], 'routes');
    if (issues.length > 0) throw issuesError(this.scope, issues, { prefix: `${this.owner}: ` });
    const entry = { spec, options };
    this.entries.push(entry);
    routeServed(options.backend, spec);
    return entry;
  }

  public get index(): number {
    return this.entries.length;
  }

  /** The IAM route `method path` or a message saying why it cannot be granted. */
  public grantable(method: string, path: string): RouteEntry {
    const key = routeKey({ method: method as RouteSpec['method'], path });
    const entry = this.entries.find((e) => routeKey(e.spec) === key);
    if (!entry)
      throw new KeygateValidationError(
        this.scope,
        'path',
        `${this.owner}.grantInvoke: no route ${key} on this API`,
      );
    if (entry.spec.auth !== 'iam') {
      throw new KeygateValidationError(
        this.scope,
        'method',
        `${this.owner}.grantInvoke: ${key} is a ${entry.spec.auth} route; only iam routes can be granted`,
      );
    }
    return entry;
  }
}

/**
 * The execute-api resource path of a route: each parameter becomes one `*` segment (a greedy one
 * stays `*` too, as the route itself matches any depth), literals stay as they are. The ARN is
 * `arn:<partition>:execute-api:<region>:<account>:<api-id>/<stage>/<METHOD>/<path>`:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-iam-policy-examples-for-api-execution.html
 */
export function executeApiPath(path: string): string {
  const segs = parsePathTemplate(path).map((s) => (s.kind === 'literal' ? s.value : '*'));
  return `/${segs.join('/')}`;
}

/** `ANY` is `*` in an execute-api ARN. */
export function executeApiMethod(method: string): string {
  return method === 'ANY' ? '*' : method;
}
