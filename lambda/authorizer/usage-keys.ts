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
 * Per-caller tiers (`perCaller: true`, listed in `usage.callerKeys`): the tier's secret is not a key but
 * the HMAC key each caller's own API key is derived with (common/usage-caller-keys.ts), from the verified
 * token's issuer and subject, so the key is still a function of the token alone. Before an answer names
 * such a key, `ensure` makes sure it is in the tier's usage plan (usage-key-registrar.ts; the AWS glue is
 * loaded on the first per-caller request). A caller whose key cannot be registered is refused with
 * usage_key_unregistered (401, which API Gateway does not cache) and tried again on its next request.
 * The derived value is never logged nor stored.
 *
 * Read once per container, so configuration rather than a cache: the key per tier (a key changes only with
 * a new deployment, which starts new containers). With per-caller tiers, a caller whose key is registered
 * is remembered with its verified token (the principal the verified-claims cache holds, weakly): the
 * token's next requests take no registrar call, a new token of the same caller one GetItem
 * (docs/authorizer.md, Caches).
 */
import type { UsageKeysConfig } from '../../common/usage-tiers';
import { USAGE_KEY_VALUE, tierForPrincipal } from '../../common/usage-tiers';
import { apiStageOf, callerKeyName, callerKeyRecordId, callerKeyValue } from '../../common/usage-caller-keys';
import type { Principal } from '../../common/route-model';
import type { ReasonCode } from '../../common/reason-codes';
import { getSecretString } from '../shared/secrets-extension';
import type { CallerKeyRegistrar } from './usage-key-registrar';

/** Reads a secret's string. @default the Parameters and Secrets Lambda Extension */
export type SecretReader = (secretId: string) => Promise<string>;

/** What the tier and a per-caller key are computed from: the verified token's claims. */
export type UsagePrincipal = Pick<Principal, 'realmRoles' | 'clientRoles' | 'groups'> &
  Partial<Pick<Principal, 'sub' | 'issuer'>>;

export interface UsageKeys {
  /** Reads every tier's key, once; resolves at once when they are loaded. Rejects when one cannot be read. */
  load(): Promise<void>;
  /** The key of the caller (its tier's, or its own in a per-caller tier). Throws when the keys are not loaded. */
  keyFor(principal: UsagePrincipal): string;
  /**
   * In a per-caller tier, makes sure the caller's key is in the tier's usage plan before an answer names
   * it: undefined when it is (or the tier is shared), else the refusal.
   */
  ensure(
    principal: UsagePrincipal,
    request: { readonly arnPrefix: string },
  ): Promise<{ readonly status: 401; readonly reason: ReasonCode } | undefined>;
}

export class UsageKeyUnavailableError extends Error {}

export interface UsageKeysOptions {
  /** Registers per-caller keys. @default the DynamoDB table and API Gateway (usage-key-registrar-aws.ts) */
  readonly registrar?: CallerKeyRegistrar;
  /** Where a failed registration is reported (tier, cause, AWS error name; never the key). @default stderr */
  readonly warn?: (line: Record<string, string>) => void;
}

/** The extension's reader (node:http, which the JWKS fetcher loads anyway). */
const extensionReader: SecretReader = (secretId) => getSecretString(secretId);

const UNREGISTERED = { status: 401, reason: 'usage_key_unregistered' } as const;

/** Reads every tier's key through `read`; rejects when one cannot be read or is no API key value. */
export async function readTierKeys(
  keySecrets: Readonly<Record<string, string>>,
  read: SecretReader,
): Promise<ReadonlyMap<string, string>> {
  const values = await Promise.all(
    Object.entries(keySecrets).map(async ([tier, secretId]) => {
      const value = (await read(secretId)).trim();
      // Never the value in the message: it is the key.
      if (!USAGE_KEY_VALUE.test(value))
        throw new UsageKeyUnavailableError(`the key secret of tier ${tier} does not hold an API key value`);
      return [tier, value] as const;
    }),
  );
  return new Map(values);
}

/** A caller's tier and key: the tier's own, or (`own`) the caller's, derived from the tier's secret. */
export interface CallerKey {
  readonly tier: string;
  /** Undefined for a per-caller tier when the token has no subject. */
  readonly key: string | undefined;
  readonly own: boolean;
}

/** The tier of the caller, its secret, and the caller's own key when the tier is per-caller. */
export function resolveCallerKey(
  keys: ReadonlyMap<string, string> | undefined,
  config: UsageKeysConfig,
  principal: UsagePrincipal,
): CallerKey {
  if (keys === undefined) throw new UsageKeyUnavailableError('usage keys are not loaded');
  const tier = tierForPrincipal(principal, config.assignments, config.defaultTier);
  const secret = keys.get(tier);
  if (secret === undefined) throw new UsageKeyUnavailableError(`no key for tier ${tier}`);
  if (!(config.callerKeys?.tiers ?? []).includes(tier)) return { tier, key: secret, own: false };
  const who = { sub: principal.sub ?? '', issuer: principal.issuer };
  return { tier, key: callerKeyValue(secret, tier, who), own: true };
}

/** Where a refused registration is reported: the tier and why, never the key. */
type Warn = (line: Record<string, string>) => void;

/**
 * Puts a caller's own key into its tier's usage plan (through the registrar): undefined when it is there,
 * else the refusal, reported once.
 */
export async function registerCallerKey(
  registrar: CallerKeyRegistrar,
  caller: { readonly tier: string; readonly key: string; readonly principal: UsagePrincipal },
  apiStage: { readonly apiId: string; readonly stage: string },
  warn: Warn,
): Promise<typeof UNREGISTERED | undefined> {
  const { tier, key, principal } = caller;
  const recordId = callerKeyRecordId(tier, key);
  const result = await registrar.ensure({
    recordId,
    keyName: callerKeyName(recordId),
    value: key,
    tier,
    ...apiStage,
    caller: `${principal.issuer ?? ''} ${principal.sub ?? ''}`,
  });
  if (result.ok) return undefined;
  warn({
    level: 'WARN',
    message: 'usage key not registered',
    tier,
    record: recordId,
    cause: result.cause,
    ...(result.error !== undefined ? { error: result.error } : {}),
  });
  return UNREGISTERED;
}

export function createUsageKeys(
  config: UsageKeysConfig,
  read: SecretReader = extensionReader,
  options: UsageKeysOptions = {},
): UsageKeys {
  let keys: ReadonlyMap<string, string> | undefined;
  let loading: Promise<void> | undefined;
  const warn: Warn = options.warn ?? ((line) => process.stderr.write(`${JSON.stringify(line)}\n`));
  let registrar: Promise<CallerKeyRegistrar> | undefined;
  // Verified principals whose key is registered. Weak: an entry lives as long as the verified-claims
  // cache keeps the token's principal, and adds no bound or eviction of its own.
  const registered = new WeakSet<UsagePrincipal>();

  function registrarOf(table: string): Promise<CallerKeyRegistrar> {
    registrar ??= options.registrar
      ? Promise.resolve(options.registrar)
      : import('./usage-key-registrar-aws.js').then((m) => m.awsCallerKeyRegistrar(table));
    return registrar;
  }

  return {
    load() {
      if (keys !== undefined) return Promise.resolve();
      loading ??= readTierKeys(config.keySecrets, read)
        .then((loaded) => {
          keys = loaded;
        })
        .finally(() => {
          loading = undefined;
        });
      return loading;
    },
    keyFor(principal) {
      const { tier, key } = resolveCallerKey(keys, config, principal);
      if (key === undefined)
        throw new UsageKeyUnavailableError(`the caller has no key of its own in tier ${tier}`);
      return key;
    },
    async ensure(principal, request) {
      if (registered.has(principal)) return undefined;
      const { tier, key, own } = resolveCallerKey(keys, config, principal);
      if (!own || config.callerKeys === undefined) return undefined;
      const apiStage = apiStageOf(request.arnPrefix);
      if (key === undefined || apiStage === undefined) {
        const cause = key === undefined ? 'no_subject' : 'no_api_stage';
        warn({ level: 'WARN', message: 'usage key not registered', tier, cause });
        return UNREGISTERED;
      }
      let registering: CallerKeyRegistrar;
      try {
        registering = await registrarOf(config.callerKeys.table);
      } catch {
        registrar = undefined; // loaded again on the next request
        warn({ level: 'WARN', message: 'usage key not registered', tier, cause: 'registrar_unavailable' });
        return UNREGISTERED;
      }
      const refused = await registerCallerKey(registering, { tier, key, principal }, apiStage, warn);
      if (refused === undefined) registered.add(principal);
      return refused;
    },
  };
}
