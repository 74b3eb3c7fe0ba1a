/**
 * A REST API's gateway responses (`AWS::ApiGateway::GatewayResponse`): the status, headers and body
 * templates API Gateway answers with when it refuses a request itself. The local gateway's refusal reason
 * picks the response type; `$context.error.messageString`, `$context.error.message`, `$context.requestId`
 * and `$context.authorizer.<key>` are substituted, as API Gateway does for these templates.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
 */
import type { GatewayReason } from '../gateway/local-gateway';
import type { Resources } from './template';
import { literal, refOf } from './template';
import { STEP_UP_CONTEXT_KEY } from '../../common/step-up';

export interface GatewayResponseSpec {
  readonly statusCode?: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Headers mapped from the authorizer's context (`context.authorizer.<key>`): header → key. */
  readonly contextHeaders?: Readonly<Record<string, string>>;
  /** Body templates by media type. */
  readonly templates: Readonly<Record<string, string>>;
}

export type GatewayResponses = Readonly<Record<string, GatewayResponseSpec>>;

/** The response type API Gateway uses for each refusal; the rest fall back to DEFAULT_4XX / DEFAULT_5XX. */
const TYPE_OF: Partial<Record<GatewayReason, string>> = {
  identity_source_missing: 'UNAUTHORIZED',
  authorizer_unauthorized: 'UNAUTHORIZED',
  policy_deny: 'ACCESS_DENIED',
  authorizer_error: 'AUTHORIZER_FAILURE',
  route_not_found: 'MISSING_AUTHENTICATION_TOKEN',
  sigv4_missing: 'MISSING_AUTHENTICATION_TOKEN',
  iam_not_authorized: 'ACCESS_DENIED',
  body_too_large: 'REQUEST_TOO_LARGE',
  // A usage plan's refusals: INVALID_API_KEY (403), THROTTLED and QUOTA_EXCEEDED (429).
  usage_key_invalid: 'INVALID_API_KEY',
  usage_throttled: 'THROTTLED',
  usage_quota_exceeded: 'QUOTA_EXCEEDED',
};

export function readGatewayResponses(resources: Resources, apiId: string): GatewayResponses {
  const out: Record<string, GatewayResponseSpec> = {};
  for (const r of Object.values(resources)) {
    const p = r.Properties ?? {};
    if (r.Type !== 'AWS::ApiGateway::GatewayResponse' || refOf(p.RestApiId) !== apiId) continue;
    const headers: Record<string, string> = {};
    const contextHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries((p.ResponseParameters ?? {}) as Record<string, unknown>)) {
      const name = /^gatewayresponse\.header\.(.+)$/.exec(k)?.[1];
      const value = literal(v);
      // Static values are quoted ('value'); the authorizer's context is mapped (a step-up or DPoP
      // challenge); other mapped ones (method.request...) are left out.
      if (name && value?.startsWith("'")) headers[name.toLowerCase()] = value.replace(/^'|'$/g, '');
      const key = value ? /^context\.authorizer\.([A-Za-z0-9_]+)$/.exec(value)?.[1] : undefined;
      if (name && key) contextHeaders[name.toLowerCase()] = key;
    }
    const templates = Object.fromEntries(
      Object.entries((p.ResponseTemplates ?? {}) as Record<string, unknown>).filter(
        (e): e is [string, string] => typeof e[1] === 'string',
      ),
    );
    const status = Number(literal(p.StatusCode) ?? p.StatusCode);
    out[literal(p.ResponseType) ?? ''] = {
      ...(Number.isInteger(status) && status > 0 ? { statusCode: status } : {}),
      headers,
      ...(Object.keys(contextHeaders).length > 0 ? { contextHeaders } : {}),
      templates,
    };
  }
  return out;
}

export interface GatewayRefusal {
  readonly status: number;
  readonly message: string;
  readonly reason: GatewayReason;
  readonly requestId: string;
  readonly context?: Readonly<Record<string, string>>;
  /** The authorizer context's challenge (STEP_UP_CONTEXT_KEY), which the gateway keeps apart. */
  readonly challenge?: string;
}

/** The API's own answer to a refusal, or undefined to keep the local gateway's default. */
export function renderGatewayResponse(
  responses: GatewayResponses,
  refusal: GatewayRefusal,
): { status: number; headers: Record<string, string>; body: string } | undefined {
  const type =
    TYPE_OF[refusal.reason] && responses[TYPE_OF[refusal.reason]!]
      ? TYPE_OF[refusal.reason]!
      : refusal.status >= 500
        ? 'DEFAULT_5XX'
        : 'DEFAULT_4XX';
  const spec = responses[type];
  const template = spec?.templates['application/json'];
  if (!spec || template === undefined) return undefined;
  const body = template
    .replaceAll('$context.error.messageString', () => JSON.stringify(refusal.message))
    .replaceAll('$context.error.message', () => refusal.message)
    .replaceAll('$context.requestId', () => refusal.requestId)
    .replace(/\$context\.authorizer\.([A-Za-z0-9_]+)/g, (_m, key: string) => refusal.context?.[key] ?? '');
  return {
    status: spec.statusCode ?? refusal.status,
    headers: {
      'content-type': 'application/json',
      ...spec.headers,
      ...Object.fromEntries(
        Object.entries(spec.contextHeaders ?? {}).flatMap(([name, key]) => {
          const value =
            refusal.context?.[key] ?? (key === STEP_UP_CONTEXT_KEY ? refusal.challenge : undefined);
          return value ? [[name, value]] : [];
        }),
      ),
    },
    body,
  };
}
