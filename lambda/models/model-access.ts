/**
 * Which models a caller may invoke. Token callers: the invoke route's requirement with the model id
 * bound, evaluated by the same meetsRequirement the authorizer uses, so the list never promises a model
 * the authorizer would refuse. A requirement scoped to issuers is met only by a caller whose verified
 * issuer (the authorizer context's `issuer`) is one of them, so entitlements of the same names from
 * another trusted issuer grant no model. IAM callers: the iam route keys the principal was granted on the API.
 */
import type { ModelConfig } from '../../common/app-config';
import { matchRoute, meetsRequirement, type Requirement } from '../../common/route-model';
import type { MachineCallerConfig } from './backend-config';
import type { Caller, IamCaller } from './types';

export const MACHINE_INVOKE_PATH = (modelId: string): string => `/machine/models/${modelId}/invoke`;

export function mayInvoke(
  caller: Caller,
  model: ModelConfig,
  invokeRequirement: Requirement | undefined,
  machineCallers: readonly MachineCallerConfig[],
): boolean {
  if (caller.type === 'token') return meetsRequirement(invokeRequirement, caller, { modelId: model.id });
  return grantedRoutes(caller, machineCallers).some((key) =>
    routeKeyCovers(key, 'POST', MACHINE_INVOKE_PATH(model.id)),
  );
}

export function invokableModels(
  caller: Caller,
  models: readonly ModelConfig[],
  invokeRequirement: Requirement | undefined,
  machineCallers: readonly MachineCallerConfig[],
): ModelConfig[] {
  return models.filter((m) => mayInvoke(caller, m, invokeRequirement, machineCallers));
}

/** Route keys granted to every configured principal the caller is. */
export function grantedRoutes(caller: IamCaller, machineCallers: readonly MachineCallerConfig[]): string[] {
  const who = parsePrincipal(caller.principalArn);
  if (!who) return [];
  return machineCallers
    .filter((c) => {
      const cfg = parsePrincipal(c.principalArn);
      return (
        cfg !== undefined &&
        cfg.partition === who.partition &&
        cfg.account === who.account &&
        cfg.kind === who.kind &&
        cfg.name === who.name
      );
    })
    .flatMap((c) => c.routes);
}

interface PrincipalName {
  readonly partition: string;
  readonly account: string;
  readonly kind: 'role' | 'user';
  readonly name: string;
}

/**
 * An assumed-role session ARN (`arn:aws:sts::111122223333:assumed-role/Name/session`) names the role
 * without its path; a role ARN (`arn:aws:iam::111122223333:role/path/Name`) with it. Role names are unique
 * within an account whatever the path
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html), so account + name match.
 */
export function parsePrincipal(arn: string): PrincipalName | undefined {
  const m = /^arn:(aws[a-z-]*):(sts|iam)::(\d{12}):(.+)$/.exec(arn);
  if (!m) return undefined;
  const [, partition, service, account, resource] = m;
  const parts = resource.split('/');
  if (service === 'sts' && parts[0] === 'assumed-role' && parts.length === 3) {
    return { partition, account, kind: 'role', name: parts[1] };
  }
  if (service === 'iam' && (parts[0] === 'role' || parts[0] === 'user') && parts.length >= 2) {
    const name = parts[parts.length - 1];
    return name ? { partition, account, kind: parts[0], name } : undefined;
  }
  return undefined;
}

/** Does the route key (`METHOD /path` with `{param}` templates allowed) cover the request? */
export function routeKeyCovers(key: string, method: string, path: string): boolean {
  const space = key.indexOf(' ');
  if (space < 0) return false;
  const routeMethod = key.slice(0, space);
  const routePath = key.slice(space + 1);
  try {
    return (
      matchRoute([{ method: routeMethod as 'POST', path: routePath, auth: 'iam' }], method, path) !==
      undefined
    );
  } catch {
    return false;
  }
}
