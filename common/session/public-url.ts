/**
 * The API's base URL as the browser sees it, for redirect_uri and Location headers. On an
 * `execute-api` hostname a named stage is part of the path (`/prod/...`); the `$default` stage of an HTTP
 * API and custom domains have none. A configured override wins (custom domains with base-path mappings).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html
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
  return `https://${domainName}${withStage ? `/${stage}` : ''}`;
}
