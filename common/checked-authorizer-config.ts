/**
 * An authorizer configuration as the construct renders it, for code that writes one without the
 * construct (the benchmark, tests): checked by every check, then stamped with the digest of its checked
 * content (common/config-digest.ts). A digest the input carries is ignored: the checks run in full.
 */
import type { AuthorizerConfig } from './authorizer-config';
import { authorizerConfigDigest } from './authorizer-config';
import { validateAuthorizerConfig } from './authorizer-config-validate';

/** The configuration with its digest; throws every problem when a check refuses it. */
export function checkedAuthorizerConfig(config: AuthorizerConfig): AuthorizerConfig {
  const unchecked: AuthorizerConfig = { ...config, configDigest: undefined };
  const result = validateAuthorizerConfig(unchecked);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return { ...unchecked, configDigest: authorizerConfigDigest(unchecked) };
}
