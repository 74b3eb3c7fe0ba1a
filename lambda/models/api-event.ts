/**
 * Converts a REST API proxy event or an HTTP API event (payload 1.0 or 2.0) into an ApiRequest. Pure.
 * The route comes from the route template API Gateway matched (`resource` on REST, `routeKey` on HTTP
 * APIs), so a stage prefix or a custom domain's base path never changes which operation runs.
 */
import { MACHINE_STREAM_PATH, MODEL_STREAM_PATH } from '../../common/model-stream';
import {
  MACHINE_INVOKE_PATH,
  MACHINE_MODELS_PATH,
  MODEL_INVOKE_PATH,
  MODELS_PATH,
} from '../../common/model-contract';
import { matchRoute, type RouteSpec } from '../../common/route-model';
import { isRecord } from './backend-config';
import type { ApiRequest, Operation } from './types';

interface OperationRoute extends RouteSpec {
  readonly auth: 'keycloak' | 'iam';
  readonly operation: Operation;
}

/** The routes this function serves (the model routes of the default route table). */
export const OPERATION_ROUTES: readonly OperationRoute[] = [
  { method: 'GET', path: MODELS_PATH, auth: 'keycloak', operation: 'listModels' },
  { method: 'POST', path: MODEL_INVOKE_PATH, auth: 'keycloak', operation: 'invokeModel' },
  { method: 'POST', path: MODEL_STREAM_PATH, auth: 'keycloak', operation: 'streamModel' },
  { method: 'GET', path: '/me', auth: 'keycloak', operation: 'me' },
  { method: 'GET', path: MACHINE_MODELS_PATH, auth: 'iam', operation: 'listModels' },
  { method: 'POST', path: MACHINE_INVOKE_PATH, auth: 'iam', operation: 'invokeModel' },
  { method: 'POST', path: MACHINE_STREAM_PATH, auth: 'iam', operation: 'streamModel' },
];

export type EventResult =
  | { readonly ok: true; readonly request: ApiRequest }
  | { readonly ok: false; readonly statusCode: 400 | 404; readonly error: string; readonly message: string };

export function toApiRequest(event: unknown): EventResult {
  if (!isRecord(event) || !isRecord(event.requestContext)) {
    return { ok: false, statusCode: 400, error: 'bad_request', message: 'unrecognized event' };
  }
  const ctx = event.requestContext;
  let method: unknown;
  let template: unknown;
  let path: unknown;
  if (event.version === '2.0') {
    const http = isRecord(ctx.http) ? ctx.http : {};
    method = http.method;
    path = http.path;
    const key = typeof event.routeKey === 'string' ? event.routeKey : '';
    const space = key.indexOf(' ');
    template = space > 0 ? key.slice(space + 1) : undefined;
  } else {
    method = event.httpMethod;
    template = event.resource;
    path = event.path;
  }
  if (typeof method !== 'string') {
    return { ok: false, statusCode: 400, error: 'bad_request', message: 'unrecognized event' };
  }
  const params = isRecord(event.pathParameters) ? event.pathParameters : {};
  const byTemplate = OPERATION_ROUTES.find((r) => r.method === method && r.path === template);
  let route: OperationRoute | undefined = byTemplate;
  let matchedParams: Readonly<Record<string, string>> = {};
  if (!route && typeof path === 'string') {
    const m = matchRoute(OPERATION_ROUTES, method, path);
    if (m) {
      route = m.route as OperationRoute;
      matchedParams = m.params;
    }
  }
  if (!route) {
    return {
      ok: false,
      statusCode: 404,
      error: 'route_not_found',
      message: `no operation for ${method} ${String(path ?? template)}`,
    };
  }
  const modelIdRaw = typeof params.modelId === 'string' ? params.modelId : matchedParams.modelId;
  const body = typeof event.body === 'string' ? event.body : null;
  const requestId = typeof ctx.requestId === 'string' ? ctx.requestId.slice(0, 128) : '';
  return {
    ok: true,
    request: {
      operation: route.operation,
      routeAuth: route.auth,
      routeKey: `${route.method} ${route.path}`,
      modelId:
        route.operation === 'invokeModel' || route.operation === 'streamModel' ? modelIdRaw : undefined,
      body,
      isBase64Encoded: event.isBase64Encoded === true,
      requestId,
    },
  };
}
