/**
 * The API key a caller's REST answer carries as `usageIdentifierKey`, so API Gateway throttles and caps
 * the request by the usage plan of the caller's tier (common/usage-tiers.ts). With the API's key source
 * `AUTHORIZER`, the authorizer must return one of the plan's key values there:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 *
 * The values live in Secrets Manager (one secret per tier, generated there; the template and the
 * function's environment hold only the secret ARNs). They are read once per container, through the
 * Parameters and Secrets Lambda Extension (lambda/sign-in/secrets-extension.ts), on the first request; a
 * failed read is retried on the next request and denies this one (usage_key_unavailable).
 *
 * Caches: the key per tier (bound: the number of tiers; never evicted: a key changes only with a new
 * deployment, which starts new containers). Saves a localhost round trip per request.
 */
import type { UsageKeysConfig } from '../../common/usage-tiers';
import { USAGE_KEY_VALUE, tierForPrincipal } from '../../common/usage-tiers';
import type { Principal } from '../../common/route-model';
import { getSecretString } from '../shared/secrets-extension';

/** Reads a secret's string. @default the Parameters and Secrets Lambda Extension */
export type SecretReader = (secretId: string) => Promise<string>;

export interface UsageKeys {
  /** Reads every tier's key, once; resolves at once when they are loaded. Rejects when one cannot be read. */
  load(): Promise<void>;
  /** The key of the caller's tier. Throws when the keys are not loaded. */
  keyFor(principal: Pick<Principal, 'realmRoles' | 'clientRoles' | 'groups'>): string;
}

export class UsageKeyUnavailableError extends Error {}

/** The extension's reader (node:http, which the JWKS fetcher loads anyway). */
const extensionReader: SecretReader = (secretId) => getSecretString(secretId);

export function createUsageKeys(config: UsageKeysConfig, read: SecretReader = extensionReader): UsageKeys {
  let keys: ReadonlyMap<string, string> | undefined;
  let loading: Promise<void> | undefined;
  const tiers = Object.entries(config.keySecrets);

  async function readAll(): Promise<void> {
    const values = await Promise.all(
      tiers.map(async ([tier, secretId]) => {
        const value = (await read(secretId)).trim();
        // Never the value in the message: it is the key.
        if (!USAGE_KEY_VALUE.test(value))
          throw new UsageKeyUnavailableError(`the key secret of tier ${tier} does not hold an API key value`);
        return [tier, value] as const;
      }),
    );
    keys = new Map(values);
  }

  return {
    load() {
      if (keys !== undefined) return Promise.resolve();
      loading ??= readAll().finally(() => {
        loading = undefined;
      });
      return loading;
    },
    keyFor(principal) {
      if (keys === undefined) throw new UsageKeyUnavailableError('usage keys are not loaded');
      const tier = tierForPrincipal(principal, config.assignments, config.defaultTier);
      const key = keys.get(tier);
      if (key === undefined) throw new UsageKeyUnavailableError(`no key for tier ${tier}`);
      return key;
    },
  };
}
