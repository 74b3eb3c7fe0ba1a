/**
 * AWS glue of the sign-in function: configuration and secrets at cold start, event in → core → response out.
 * Secrets (cookie keyring, client secret) come through the AWS Parameters and Secrets Lambda Extension, so
 * no AWS SDK is bundled. One JSON log line per request, never with a cookie, code, state or token.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { createOidcClient } from './oidc-client';
import { cachedSecret, getSecretString, secretsExtensionKeyProvider } from '../shared/secrets-extension';
import type { SignInHandler } from './sign-in';
import { createSignIn } from './sign-in';
import type { SignInConfig } from './sign-in-config';
import { SIGN_IN_CONFIG_ENV, validateSignInConfig } from './sign-in-config';
import { parseProxyEvent, toProxyResult } from './api-event';
import { clientSecretFrom } from './client-secret';
import { SIGN_IN_SERVICE_NAME } from '../../common/service-names';

const logger = new Logger({ serviceName: SIGN_IN_SERVICE_NAME });

function readConfig(): SignInConfig | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(process.env[SIGN_IN_CONFIG_ENV] ?? '');
  } catch {
    logger.error('sign-in config invalid', { errors: [`${SIGN_IN_CONFIG_ENV} is not JSON`] });
    return undefined;
  }
  const result = validateSignInConfig(raw);
  if (!result.ok) {
    logger.error('sign-in config invalid', { errors: result.errors });
    return undefined;
  }
  return result.config;
}

const config = readConfig();
let core: SignInHandler | undefined;
if (config) {
  const secretId = config.clientSecretId;
  const clientSecret = secretId
    ? cachedSecret(async () => clientSecretFrom(await getSecretString(secretId), config.clientSecretField))
    : undefined;
  core = createSignIn({
    config,
    keys: secretsExtensionKeyProvider(config.keysSecretId),
    oidc: createOidcClient(config, { clientSecret }),
    log: (entry) => logger.info('sign-in', { ...entry }),
  });
}

export async function handler(event: unknown) {
  const parsed = parseProxyEvent(event, config?.publicBaseUrl);
  if (!parsed) {
    logger.warn('sign-in', { reason: 'event_unrecognized', status: 400 });
    return {
      statusCode: 400,
      headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' },
      body: 'Bad request.\n',
    };
  }
  if (!core) {
    return toProxyResult(
      {
        status: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
        cookies: [],
        body: 'Sign-in is not configured.\n',
        reason: 'config_invalid',
      },
      parsed.kind,
    );
  }
  return toProxyResult(await core(parsed.request), parsed.kind);
}
