/** The API Gateway proxy event (REST, or HTTP API payload 1.0 / 2.0) as the logout endpoint reads it. */
import type { LogoutRequest } from './handler';

/** A proxy event, REST or HTTP API, reduced to what the endpoint reads. */
export interface ProxyEvent {
  readonly httpMethod?: string;
  readonly requestContext?: { readonly http?: { readonly method?: string } };
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export function toLogoutRequest(event: ProxyEvent): LogoutRequest {
  const method = event.requestContext?.http?.method ?? event.httpMethod ?? '';
  let contentType: string | undefined;
  for (const [k, v] of Object.entries(event.headers ?? {}))
    if (k.toLowerCase() === 'content-type') contentType = v;
  const raw = event.body ?? '';
  return { method, contentType, body: Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8') };
}
