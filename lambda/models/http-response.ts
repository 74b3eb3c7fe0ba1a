/**
 * The one response shape both REST proxy integrations and HTTP API payload 2.0 accept
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
 */
export interface ProxyResult {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly isBase64Encoded: false;
}

const HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  // Identity-dependent answers must never be cached by a shared cache.
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function jsonResponse(statusCode: number, body: unknown): ProxyResult {
  return { statusCode, headers: HEADERS, body: JSON.stringify(body), isBase64Encoded: false };
}

/** Error bodies: `{ "error": "<code>", "message": "<text>", "requestId": "..." }`. */
export function errorResponse(
  statusCode: number,
  error: string,
  message: string,
  requestId?: string,
): ProxyResult {
  return jsonResponse(statusCode, requestId ? { error, message, requestId } : { error, message });
}
