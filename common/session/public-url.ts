/** A loopback host (`127.0.0.1:<port>`, `localhost:<port>`): the local gateway, which serves plain http. */
export const LOOPBACK_HOST = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost)(?::\d{1,5})?$/;

/**
 * The API's base URL as the browser sees it, for redirect_uri and Location headers. On an
 * `execute-api` hostname a named stage is part of the path (`/prod/...`); the `$default` stage of an HTTP
 * API and custom domains have none. A configured override wins (custom domains with base-path mappings).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html
 * API Gateway serves https only; a loopback host (`127.0.0.1:<port>`, `localhost:<port>`), which no
 * deployed API has, is the local gateway, which serves plain http on this machine (docs/local-stack.md).
 */
export function publicBaseUrl(
  domainName: string | undefined,
  stage: string | undefined,
  override?: string,
): string | undefined {
  if (override) return override;
  if (typeof domainName !== 'string' || !/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(domainName))
    return undefined;
  const onExecuteApi = /\.execute-api\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(domainName);
  const withStage =
    onExecuteApi && typeof stage === 'string' && stage !== '$default' && /^[A-Za-z0-9_-]{1,128}$/.test(stage);
  const scheme = LOOPBACK_HOST.test(domainName) ? 'http' : 'https';
  return `${scheme}://${domainName}${withStage ? `/${stage}` : ''}`;
}
