/**
 * The roles a realm must define, derived from the route table: every realm role and client role a
 * `keycloak` route requirement names, with bound entitlements (`model:{modelId}:invoke`) expanded to
 * one role per known parameter value. Pure: no I/O, no Keycloak types.
 */
import type { AppRouteConfig, StageConfig } from '../common/app-config';
import type { Entitlements } from '../common/route-model';
import { routeKey } from '../common/route-model';

/** A role a route requirement names, and the routes that name it (for role descriptions). */
export interface DerivedRole {
  readonly name: string;
  readonly routes: readonly string[];
}

export interface DerivedRoles {
  readonly realmRoles: readonly DerivedRole[];
  /** Client id -> roles of that client (role names without the `client:` prefix). */
  readonly clientRoles: Readonly<Record<string, readonly DerivedRole[]>>;
  /** Scopes and groups the routes name; the realm definition reports them, see `buildRealm`. */
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
}

const BINDING = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
/**
 * What a role name may contain once bound: the characters a policy resource and the authorizer
 * context can carry unchanged (no whitespace, no `*`, no `/`, printable ASCII only).
 */
export const ROLE_NAME = /^[A-Za-z0-9._~@:+=-]{1,255}$/;
/** Scopes and group paths: printable ASCII without whitespace or `*` (groups may be `/parent/child`). */
const SCOPE_OR_GROUP = /^[\x21-\x29\x2b-\x7e]{1,255}$/;

/**
 * Values each bound path parameter takes. `modelId` ranges over the stage's models; other
 * parameters need explicit values (`paramValues`), otherwise the role set would be open-ended.
 */
export function bindingValues(
  stage: StageConfig,
  paramValues: Readonly<Record<string, readonly string[]>> = {},
): Record<string, readonly string[]> {
  return { modelId: stage.models.map((m) => m.id), ...paramValues };
}

/** Derives the roles from the stage's routes; throws with the field name when a binding cannot be expanded. */
export function deriveRoles(
  stage: StageConfig,
  paramValues: Readonly<Record<string, readonly string[]>> = {},
): DerivedRoles {
  const values = bindingValues(stage, paramValues);
  const realm = new Map<string, Set<string>>();
  const client = new Map<string, Map<string, Set<string>>>();
  const scopes = new Set<string>();
  const groups = new Set<string>();
  stage.routes.forEach((route: AppRouteConfig, i) => {
    if (route.auth !== 'keycloak' || !route.requirement) return;
    const key = routeKey(route);
    for (const mode of ['allOf', 'anyOf'] as const) {
      const set: Entitlements | undefined = route.requirement[mode];
      if (!set) continue;
      const at = `routes[${i}].requirement.${mode}`;
      for (const tpl of set.realmRoles ?? []) {
        for (const name of expand(tpl, values, `${at}.realmRoles`)) add(realm, name, key);
      }
      for (const tpl of set.clientRoles ?? []) {
        for (const full of expand(tpl, values, `${at}.clientRoles`)) {
          const [clientId, role] = splitClientRole(full, `${at}.clientRoles`);
          if (!client.has(clientId)) client.set(clientId, new Map());
          add(client.get(clientId)!, role, key);
        }
      }
      for (const s of set.scopes ?? [])
        for (const v of expand(s, values, `${at}.scopes`, SCOPE_OR_GROUP)) scopes.add(v);
      for (const g of set.groups ?? [])
        for (const v of expand(g, values, `${at}.groups`, SCOPE_OR_GROUP)) groups.add(v);
    }
  });
  return {
    realmRoles: toList(realm),
    clientRoles: Object.fromEntries(
      [...client.entries()].sort(([a], [b]) => cmp(a, b)).map(([c, m]) => [c, toList(m)]),
    ),
    scopes: [...scopes].sort(cmp),
    groups: [...groups].sort(cmp),
  };
}

/** `client:role` -> [client, role]; the client id ends at the first colon, as the authorizer reads it. */
export function splitClientRole(full: string, at = 'clientRoles'): [string, string] {
  const i = full.indexOf(':');
  if (i <= 0 || i === full.length - 1) throw new Error(`${at}: '${full}' must be written client:role`);
  return [full.slice(0, i), full.slice(i + 1)];
}

function expand(
  tpl: string,
  values: Readonly<Record<string, readonly string[]>>,
  at: string,
  pattern: RegExp = ROLE_NAME,
): string[] {
  const names = [...new Set([...tpl.matchAll(BINDING)].map((m) => m[1]))];
  let out = [tpl];
  for (const name of names) {
    const vs = values[name];
    if (!vs || vs.length === 0) {
      throw new Error(
        `${at}: '${tpl}' binds {${name}}, which has no known values; ` +
          (name === 'modelId'
            ? 'configure at least one model in models'
            : `give its values in paramValues.${name}`),
      );
    }
    out = out.flatMap((o) => vs.map((v) => o.split(`{${name}}`).join(v)));
  }
  for (const o of out) {
    if (!pattern.test(o)) {
      throw new Error(
        `${at}: '${o}' (from '${tpl}') is not a valid name: ` +
          (pattern === ROLE_NAME
            ? 'use 1-255 of A-Z a-z 0-9 . _ ~ @ : + = -'
            : 'use 1-255 printable characters without * or spaces'),
      );
    }
  }
  return out;
}

function add(map: Map<string, Set<string>>, name: string, route: string): void {
  if (!map.has(name)) map.set(name, new Set());
  map.get(name)!.add(route);
}

function toList(map: Map<string, Set<string>>): DerivedRole[] {
  return [...map.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([name, routes]) => ({ name, routes: [...routes].sort(cmp) }));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
