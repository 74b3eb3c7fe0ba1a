/**
 * Reads a Secrets Manager secret through the AWS Parameters and Secrets Lambda Extension on localhost, so
 * neither the authorizer nor the sign-in function bundles the AWS SDK (the authorizer must stay small).
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
 * The extension listens on port 2773 (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT) and authenticates callers with
 * the function's own session token in `X-Aws-Parameters-Secrets-Token`.
 */
import { request } from 'node:http';
import type { SessionKeyProvider } from '../../common/session/session-keys';
import { parseKeyring } from '../../common/session/session-keys';

export interface SecretsExtensionOptions {
  /** @default process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773 */
  readonly port?: number;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default process.env.AWS_SESSION_TOKEN */
  readonly sessionToken?: string;
  /** @default 1500 */
  readonly timeoutMs?: number;
}

export class SecretUnavailableError extends Error {}

/** Returns the secret's SecretString. Never includes the value in an error message. */
export function getSecretString(secretId: string, options: SecretsExtensionOptions = {}): Promise<string> {
  const port = options.port ?? Number(process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773);
  const token = options.sessionToken ?? process.env.AWS_SESSION_TOKEN ?? '';
  const timeoutMs = options.timeoutMs ?? 1500;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.host ?? '127.0.0.1',
        port,
        path: `/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`,
        method: 'GET',
        headers: { 'X-Aws-Parameters-Secrets-Token': token },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 128 * 1024) req.destroy(new SecretUnavailableError('secret response too large'));
          else chunks.push(c);
        });
        res.on('end', () => {
          if (res.statusCode !== 200) {
            reject(new SecretUnavailableError(`secrets extension answered ${res.statusCode}`));
            return;
          }
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretString?: unknown };
            if (typeof body.SecretString !== 'string') throw new Error();
            resolve(body.SecretString);
          } catch {
            reject(new SecretUnavailableError('secrets extension answer has no SecretString'));
          }
        });
        res.on('error', () => reject(new SecretUnavailableError('secrets extension response failed')));
      },
    );
    req.on('timeout', () => req.destroy(new SecretUnavailableError('secrets extension timed out')));
    req.on('error', (e) =>
      reject(
        e instanceof SecretUnavailableError ? e : new SecretUnavailableError('secrets extension unreachable'),
      ),
    );
    req.end();
  });
}

/**
 * Caches a secret-derived value for `ttlMs`, so rotation reaches warm functions within that time; a failed
 * refresh keeps serving the last good value until `maxStaleMs`, so a brief outage does not end every session.
 */
export function cachedSecret<T>(
  load: () => Promise<T>,
  opts: { ttlMs?: number; maxStaleMs?: number; now?: () => number } = {},
): () => Promise<T> {
  const ttl = opts.ttlMs ?? 300_000;
  const maxStale = opts.maxStaleMs ?? 3_600_000;
  const now = opts.now ?? Date.now;
  let value: { v: T; at: number } | undefined;
  let inflight: Promise<T> | undefined;
  return async () => {
    const t = now();
    if (value && t - value.at < ttl) return value.v;
    inflight ??= load()
      .then((v) => {
        value = { v, at: now() };
        return v;
      })
      .finally(() => {
        inflight = undefined;
      });
    try {
      return await inflight;
    } catch (e) {
      if (value && t - value.at < maxStale) return value.v;
      throw e;
    }
  };
}

/** The production keyring provider: the keyring secret through the extension, cached for five minutes. */
export function secretsExtensionKeyProvider(
  secretId: string,
  options: SecretsExtensionOptions & { ttlMs?: number } = {},
): SessionKeyProvider {
  const get = cachedSecret(async () => parseKeyring(await getSecretString(secretId, options)), {
    ttlMs: options.ttlMs,
  });
  return { keyring: get };
}
