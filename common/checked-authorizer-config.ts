/**
 * An authorizer configuration as the construct renders it, for code that writes one without the
 * construct (the benchmark, tests): checked by every check, then stamped with the digest of its route
 * table (common/route-table-digest.ts). A digest the input carries is ignored: the checks run in full.
 */
import type { AuthorizerConfig } from './authorizer-config';
import { routeTableParts, validateAuthorizerConfig } from './authorizer-config';
import { routeTableDigest } from './route-table-digest';

/** The configuration with its route table's digest; throws every problem when a check refuses it. */
export function checkedAuthorizerConfig(config: AuthorizerConfig): AuthorizerConfig {
  const unchecked: AuthorizerConfig = { ...config, routeTableDigest: undefined };
  const result = validateAuthorizerConfig(unchecked);
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return { ...unchecked, routeTableDigest: routeTableDigest(routeTableParts({ ...unchecked })) };
}
