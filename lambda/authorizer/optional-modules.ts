/**
 * The pipeline's steps for features in modules of their own (`revocation.js`, `usage.js` beside
 * `index.js`, like `session.js`, `binding.js` and `dpop-jose.js`): each is built only when the
 * configuration has the feature, and imports its module on first need, so an authorizer without it
 * neither loads its code nor takes an awaited step for it. The imports are left external to the core
 * bundle by the build (lib/internal/lambda-entries.ts).
 */
import type { RevocationConfig } from '../../common/revocation';
import type { UsageKeysConfig } from '../../common/usage-tiers';
import type { RevocationStore } from '../revocation/revocation-store';
import { AuthorizerError } from './errors';
import type * as RevocationModule from './revocation';
import type * as UsageModule from './usage';
import type { SecretReader, UsageKeys, UsageKeysOptions } from './usage-keys';
import type { VerifyResult } from './types';

/** A verified result through the revocation check: refused ones fail with the check's reason. */
export type RevocationStep = (verified: VerifyResult) => Promise<VerifyResult>;

/** The revocation step of a configuration with `revocation` (revocation-check.ts, loaded on first use). */
export function lazyRevocationStep(
  config: RevocationConfig,
  resultCacheTtlSeconds: number,
  store: RevocationStore,
  now: () => number,
): RevocationStep {
  let module: Promise<typeof RevocationModule> | undefined;
  let step: ((verified: VerifyResult) => VerifyResult | Promise<VerifyResult>) | undefined;
  return async (verified) => {
    if (step === undefined) {
      const m = await (module ??= import('./revocation.js').catch((e: unknown) => {
        module = undefined; // a failed load is tried again on the next request
        throw e;
      }));
      const checker = m.revocationCheckFor(config, resultCacheTtlSeconds, store, now);
      step ??= (v) => m.withRevocationCheck(checker, v, (r) => r);
    }
    return step(verified);
  };
}

/**
 * The usage keys of a configuration with `usage` (usage-keys.ts, loaded with the keys on the first
 * request): `load` rejects while the module or a key cannot be read, and is tried again on the next request.
 */
export function lazyUsageKeys(
  config: UsageKeysConfig,
  read: SecretReader | undefined,
  options: UsageKeysOptions,
): UsageKeys {
  let keys: UsageKeys | undefined;
  const loaded = (): UsageKeys => {
    if (keys === undefined) throw new AuthorizerError('usage keys are not loaded');
    return keys;
  };
  return {
    async load() {
      if (keys === undefined) {
        const m: typeof UsageModule = await import('./usage.js');
        keys ??= m.createUsageKeys(config, read, options);
      }
      return keys.load();
    },
    keyFor: (principal) => loaded().keyFor(principal),
    ensure: (principal, request) => loaded().ensure(principal, request),
  };
}
