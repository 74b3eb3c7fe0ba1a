/**
 * Applies a realm definition to a running Keycloak through its admin REST API
 * (`@keycloak/keycloak-admin-client`): creates what is missing, updates what differs, and deletes
 * nothing unless `prune` is set. Idempotent: a second run against the same definition changes nothing.
 *
 * What is compared: only the fields the definition sets (a subset match, string lists as sets), so
 * values Keycloak adds or an operator sets elsewhere never cause churn.
 * Prune removes only objects inside what the definition manages: roles of the realm and of managed
 * clients, protocol mappers of managed clients, and role mappings of managed users. Keycloak's own
 * default roles, clients and users are never deleted.
 * Admin REST API: https://www.keycloak.org/docs-api/latest/rest-api/index.html
 */
import type KeycloakAdminClient from '@keycloak/keycloak-admin-client';
import type {
  ClientRepresentation,
  IdentityProviderMapperRepresentation,
  IdentityProviderRepresentation,
  ProtocolMapperRepresentation,
  RealmRepresentation,
  RoleRepresentation,
  UserRepresentation,
} from './keycloak-types';

export interface ApplyOptions {
  /** Delete managed-scope objects the definition does not list. @default false */
  readonly prune?: boolean;
  /** Set test-user passwords from the definition even when the user already exists. @default false */
  readonly resetPasswords?: boolean;
}

export type ChangeAction = 'create' | 'update' | 'delete';

export interface Change {
  readonly action: ChangeAction;
  /** e.g. `realm`, `realm role`, `client`, `client role`, `protocol mapper`, `user`, `role mapping` */
  readonly kind: string;
  readonly name: string;
}

export interface ApplyResult {
  readonly changes: readonly Change[];
  /** Objects compared and found as defined. */
  readonly unchanged: number;
  /** Objects found outside the definition and left in place (prune was off). */
  readonly kept: readonly string[];
}

/** Fields of the realm itself the definition manages (the rest comes from its own endpoints). */
const REALM_FIELDS = ['enabled', 'sslRequired', 'registrationAllowed', 'displayName'] as const;
const USER_FIELDS = ['enabled', 'email', 'emailVerified', 'firstName', 'lastName'] as const;

/** Keycloak's own realm roles: never pruned, never reported as unknown. */
function builtinRealmRoles(realm: string): Set<string> {
  return new Set(['offline_access', 'uma_authorization', `default-roles-${realm.toLowerCase()}`]);
}

export async function applyRealm(
  kc: KeycloakAdminClient,
  desired: RealmRepresentation,
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const realm = desired.realm;
  if (!realm) throw new Error('realm definition has no realm name');
  const changes: Change[] = [];
  const kept: string[] = [];
  let unchanged = 0;
  const note = (action: ChangeAction, kind: string, name: string) => changes.push({ action, kind, name });

  // Every resource call addresses the target realm; authentication stays with the admin realm.
  kc.setConfig({ realmName: realm });

  // 1. The realm.
  const realmFields = pick(desired, REALM_FIELDS);
  const currentRealm = await kc.realms.findOne({ realm });
  if (!currentRealm) {
    await kc.realms.create({ realm, ...realmFields });
    note('create', 'realm', realm);
  } else if (!matches(realmFields, currentRealm)) {
    await kc.realms.update({ realm }, realmFields);
    note('update', 'realm', realm);
  } else unchanged++;

  // 2. Realm roles.
  const builtins = builtinRealmRoles(realm);
  const realmRoles = await kc.roles.find();
  for (const role of desired.roles?.realm ?? []) {
    const found = realmRoles.find((r) => r.name === role.name);
    if (!found) {
      await kc.roles.create(roleBody(role));
      note('create', 'realm role', role.name!);
    } else if (!matches(roleBody(role), found)) {
      await kc.roles.updateByName({ name: role.name! }, { ...found, ...roleBody(role) });
      note('update', 'realm role', role.name!);
    } else unchanged++;
  }
  for (const r of realmRoles) {
    if (builtins.has(r.name!) || desired.roles?.realm?.some((d) => d.name === r.name)) continue;
    if (opts.prune) {
      await kc.roles.delByName({ name: r.name! });
      note('delete', 'realm role', r.name!);
    } else kept.push(`realm role ${r.name}`);
  }

  // 3. Clients, their roles and protocol mappers.
  const clientUuids = new Map<string, string>();
  for (const client of desired.clients ?? []) {
    const clientId = client.clientId!;
    const body = clientBody(client);
    const [found] = (await kc.clients.find({ clientId })).filter((c) => c.clientId === clientId);
    let uuid: string;
    if (!found) {
      uuid = (await kc.clients.create(body)).id;
      note('create', 'client', clientId);
    } else {
      uuid = found.id!;
      if (!matches(body, found)) {
        await kc.clients.update(
          { id: uuid },
          {
            ...withoutMappers(found),
            ...body,
            attributes: { ...(found.attributes ?? {}), ...(body.attributes ?? {}) },
          },
        );
        note('update', 'client', clientId);
      } else unchanged++;
    }
    clientUuids.set(clientId, uuid);
    unchanged += await applyClientRoles(
      kc,
      uuid,
      clientId,
      desired.roles?.client?.[clientId] ?? [],
      opts,
      note,
      kept,
    );
    unchanged += await applyMappers(kc, uuid, clientId, client.protocolMappers ?? [], opts, note, kept);
  }

  // 4. Users: service-account users (found through their client) and people.
  const roleIds = new Map((await kc.roles.find()).map((r) => [r.name!, r]));
  const clientRoleCache = new Map<string, Map<string, RoleRepresentation>>();
  const clientRolesOf = async (clientId: string) => {
    let roles = clientRoleCache.get(clientId);
    if (!roles) {
      const uuid =
        clientUuids.get(clientId) ??
        (await kc.clients.find({ clientId })).find((c) => c.clientId === clientId)?.id;
      if (!uuid) throw new Error(`user role mapping names client '${clientId}', which is not in the realm`);
      clientUuids.set(clientId, uuid);
      roles = new Map((await kc.clients.listRoles({ id: uuid })).map((r) => [r.name!, r]));
      clientRoleCache.set(clientId, roles);
    }
    return roles;
  };
  for (const user of desired.users ?? []) {
    const name = user.username!;
    let userId: string;
    if (user.serviceAccountClientId) {
      const uuid = clientUuids.get(user.serviceAccountClientId);
      if (!uuid)
        throw new Error(`service-account user ${name}: client ${user.serviceAccountClientId} is not defined`);
      const sa = await kc.clients.getServiceAccountUser({ id: uuid });
      userId = sa.id!;
    } else {
      const [found] = (await kc.users.find({ username: name, exact: true })).filter(
        (u) => u.username === name,
      );
      const profile = pick(user, USER_FIELDS);
      if (!found) {
        const created = await kc.users.create({
          username: name,
          ...profile,
          ...(user.credentials ? { credentials: user.credentials } : {}),
          ...(user.requiredActions ? { requiredActions: user.requiredActions } : {}),
        });
        userId = created.id;
        note('create', 'user', name);
      } else {
        userId = found.id!;
        if (!matches(profile, found)) {
          await kc.users.update({ id: userId }, { ...found, ...profile });
          note('update', 'user', name);
        } else unchanged++;
        const password = user.credentials?.find((c) => c.type === 'password')?.value;
        if (opts.resetPasswords && password) {
          await kc.users.resetPassword({
            id: userId,
            credential: { type: 'password', value: password, temporary: false },
          });
          note('update', 'user password', name);
        }
      }
    }
    unchanged += await applyUserRoles(
      kc,
      userId,
      name,
      user,
      roleIds,
      clientRolesOf,
      builtins,
      opts,
      note,
      kept,
    );
  }

  // 5. Groups named by the routes (created, never deleted).
  unchanged += await applyGroups(kc, desired.groups ?? [], undefined, '', note);

  // 6. Upstream identity providers and their mappers.
  for (const idp of desired.identityProviders ?? []) {
    unchanged += await applyIdentityProvider(kc, idp, desired.identityProviderMappers ?? [], note);
  }

  return { changes, unchanged, kept };
}

type Note = (action: ChangeAction, kind: string, name: string) => void;

async function applyClientRoles(
  kc: KeycloakAdminClient,
  uuid: string,
  clientId: string,
  desired: readonly RoleRepresentation[],
  opts: ApplyOptions,
  note: Note,
  kept: string[],
): Promise<number> {
  let unchanged = 0;
  const current = await kc.clients.listRoles({ id: uuid });
  for (const role of desired) {
    const found = current.find((r) => r.name === role.name);
    const label = `${clientId}:${role.name}`;
    if (!found) {
      await kc.clients.createRole({ id: uuid, ...roleBody(role) });
      note('create', 'client role', label);
    } else if (!matches(roleBody(role), found)) {
      await kc.clients.updateRole({ id: uuid, roleName: role.name! }, { ...found, ...roleBody(role) });
      note('update', 'client role', label);
    } else unchanged++;
  }
  for (const r of current) {
    if (desired.some((d) => d.name === r.name)) continue;
    if (opts.prune) {
      await kc.clients.delRole({ id: uuid, roleName: r.name! });
      note('delete', 'client role', `${clientId}:${r.name}`);
    } else kept.push(`client role ${clientId}:${r.name}`);
  }
  return unchanged;
}

async function applyMappers(
  kc: KeycloakAdminClient,
  uuid: string,
  clientId: string,
  desired: readonly ProtocolMapperRepresentation[],
  opts: ApplyOptions,
  note: Note,
  kept: string[],
): Promise<number> {
  let unchanged = 0;
  const current = await kc.clients.listProtocolMappers({ id: uuid });
  for (const mapper of desired) {
    const found = current.find((m) => m.name === mapper.name);
    const label = `${clientId}/${mapper.name}`;
    if (!found) {
      await kc.clients.addProtocolMapper({ id: uuid }, mapper);
      note('create', 'protocol mapper', label);
    } else if (!matches(mapper, found)) {
      await kc.clients.updateProtocolMapper(
        { id: uuid, mapperId: found.id! },
        { ...found, ...mapper, config: { ...(found.config ?? {}), ...(mapper.config ?? {}) } },
      );
      note('update', 'protocol mapper', label);
    } else unchanged++;
  }
  for (const m of current) {
    if (desired.some((d) => d.name === m.name)) continue;
    if (opts.prune) {
      await kc.clients.delProtocolMapper({ id: uuid, mapperId: m.id! });
      note('delete', 'protocol mapper', `${clientId}/${m.name}`);
    } else kept.push(`protocol mapper ${clientId}/${m.name}`);
  }
  return unchanged;
}

async function applyUserRoles(
  kc: KeycloakAdminClient,
  userId: string,
  username: string,
  user: UserRepresentation,
  realmRoles: Map<string, RoleRepresentation>,
  clientRolesOf: (clientId: string) => Promise<Map<string, RoleRepresentation>>,
  builtins: Set<string>,
  opts: ApplyOptions,
  note: Note,
  kept: string[],
): Promise<number> {
  let unchanged = 0;
  // Realm roles.
  const wanted = new Set<string>(user.realmRoles ?? []);
  const current = await kc.users.listRealmRoleMappings({ id: userId });
  const missing = [...wanted].filter((n) => !current.some((r) => r.name === n));
  if (missing.length) {
    const roles = missing.map((n) => {
      const r = realmRoles.get(n);
      if (!r?.id) throw new Error(`user ${username}: realm role '${n}' does not exist in the realm`);
      return { id: r.id, name: n };
    });
    await kc.users.addRealmRoleMappings({ id: userId, roles });
    for (const n of missing) note('create', 'role mapping', `${username} -> ${n}`);
  } else unchanged++;
  const extra = current.filter((r) => !wanted.has(r.name!) && !builtins.has(r.name!));
  if (extra.length) {
    if (opts.prune) {
      await kc.users.delRealmRoleMappings({
        id: userId,
        roles: extra.map((r) => ({ id: r.id!, name: r.name! })),
      });
      for (const r of extra) note('delete', 'role mapping', `${username} -> ${r.name}`);
    } else for (const r of extra) kept.push(`role mapping ${username} -> ${r.name}`);
  }
  // Client roles, per client named in the definition.
  for (const [clientId, names] of Object.entries((user.clientRoles ?? {}) as Record<string, string[]>)) {
    const roles = await clientRolesOf(clientId);
    const uuid = (await kc.clients.find({ clientId })).find((c) => c.clientId === clientId)!.id!;
    const have = await kc.users.listClientRoleMappings({ id: userId, clientUniqueId: uuid });
    const want = new Set(names);
    const add = [...want].filter((n) => !have.some((r) => r.name === n));
    if (add.length) {
      const reps = add.map((n) => {
        const r = roles.get(n);
        if (!r?.id)
          throw new Error(`user ${username}: client role '${clientId}:${n}' does not exist in the realm`);
        return { id: r.id, name: n };
      });
      await kc.users.addClientRoleMappings({ id: userId, clientUniqueId: uuid, roles: reps });
      for (const n of add) note('create', 'role mapping', `${username} -> ${clientId}:${n}`);
    } else unchanged++;
    const surplus = have.filter((r) => !want.has(r.name!));
    if (surplus.length) {
      if (opts.prune) {
        await kc.users.delClientRoleMappings({
          id: userId,
          clientUniqueId: uuid,
          roles: surplus.map((r) => ({ id: r.id!, name: r.name! })),
        });
        for (const r of surplus) note('delete', 'role mapping', `${username} -> ${clientId}:${r.name}`);
      } else for (const r of surplus) kept.push(`role mapping ${username} -> ${clientId}:${r.name}`);
    }
  }
  return unchanged;
}

interface GroupNode {
  readonly name?: string;
  readonly subGroups?: readonly GroupNode[];
}

async function applyGroups(
  kc: KeycloakAdminClient,
  desired: readonly GroupNode[],
  parentId: string | undefined,
  parentPath: string,
  note: Note,
): Promise<number> {
  if (desired.length === 0) return 0;
  let unchanged = 0;
  const current = parentId
    ? ((await kc.groups.listSubGroups({ parentId, briefRepresentation: true })) ?? [])
    : await kc.groups.find({ briefRepresentation: true });
  for (const g of desired) {
    const path = `${parentPath}/${g.name}`;
    let id = current.find((c) => c.name === g.name)?.id;
    if (!id) {
      id = parentId
        ? (await kc.groups.createChildGroup({ id: parentId }, { name: g.name })).id
        : (await kc.groups.create({ name: g.name })).id;
      note('create', 'group', path);
    } else unchanged++;
    unchanged += await applyGroups(kc, g.subGroups ?? [], id, path, note);
  }
  return unchanged;
}

async function applyIdentityProvider(
  kc: KeycloakAdminClient,
  idp: IdentityProviderRepresentation,
  mappers: readonly IdentityProviderMapperRepresentation[],
  note: Note,
): Promise<number> {
  let unchanged = 0;
  const alias = idp.alias!;
  const found = await kc.identityProviders.findOne({ alias });
  if (!found) {
    await kc.identityProviders.create(idp);
    note('create', 'identity provider', alias);
  } else if (!matches(comparableIdp(idp, found), found)) {
    await kc.identityProviders.update(
      { alias },
      { ...found, ...idp, config: { ...(found.config ?? {}), ...(idp.config ?? {}) } },
    );
    note('update', 'identity provider', alias);
  } else unchanged++;
  const current = await kc.identityProviders.findMappers({ alias });
  for (const m of mappers.filter((x) => x.identityProviderAlias === alias)) {
    const have = current.find((c) => c.name === m.name);
    if (!have) {
      await kc.identityProviders.createMapper({ alias, identityProviderMapper: m });
      note('create', 'identity provider mapper', `${alias}/${m.name}`);
    } else if (!matches(m, have)) {
      await kc.identityProviders.updateMapper({ alias, id: have.id! }, { ...have, ...m });
      note('update', 'identity provider mapper', `${alias}/${m.name}`);
    } else unchanged++;
  }
  return unchanged;
}

// ---------------------------------------------------------------------------------------------------------

/** What Keycloak shows instead of a stored secret that is not a vault reference. */
const SECRET_MASK = '**********';

/**
 * Keycloak masks an identity provider's clientSecret in GET responses unless it is a `${vault.*}`
 * reference (StripSecretsUtils), so a masked value cannot be compared: leave it out, or every run
 * would rewrite it.
 */
function comparableIdp(
  desired: IdentityProviderRepresentation,
  current: IdentityProviderRepresentation,
): IdentityProviderRepresentation {
  if (current.config?.clientSecret !== SECRET_MASK || desired.config?.clientSecret === undefined)
    return desired;
  const config = { ...desired.config };
  delete config.clientSecret;
  return { ...desired, config };
}

function roleBody(role: RoleRepresentation): RoleRepresentation {
  return { name: role.name, ...(role.description !== undefined ? { description: role.description } : {}) };
}

function clientBody(client: ClientRepresentation): ClientRepresentation {
  return withoutMappers(client);
}

function withoutMappers<T extends { protocolMappers?: unknown }>(rep: T): Omit<T, 'protocolMappers'> {
  const rest: T = { ...rep };
  delete rest.protocolMappers;
  return rest;
}

function pick<T extends object, K extends keyof T>(obj: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}

/**
 * Does `current` hold everything `desired` sets? Objects match key by key, lists of strings as sets
 * (Keycloak does not keep their order), other lists element by element.
 */
export function matches(desired: unknown, current: unknown): boolean {
  if (desired === undefined) return true;
  if (desired === null || typeof desired !== 'object') return desired === current;
  if (Array.isArray(desired)) {
    if (!Array.isArray(current) || current.length !== desired.length) return false;
    if (desired.every((d) => typeof d === 'string')) {
      const have = new Set(current);
      return desired.every((d) => have.has(d));
    }
    return desired.every((d, i) => matches(d, current[i]));
  }
  if (current === null || typeof current !== 'object' || Array.isArray(current)) return false;
  return Object.entries(desired).every(([k, v]) => matches(v, (current as Record<string, unknown>)[k]));
}

/** One line per change and a count line: the summary the apply command prints. */
export function formatSummary(result: ApplyResult): string {
  const lines = result.changes.map((c) => `${c.action.padEnd(6)} ${c.kind}: ${c.name}`);
  const count = (a: ChangeAction) => result.changes.filter((c) => c.action === a).length;
  lines.push(
    `${count('create')} created, ${count('update')} updated, ${count('delete')} deleted, ${result.unchanged} unchanged` +
      (result.kept.length
        ? `, ${result.kept.length} not in the definition and kept (use --prune to delete)`
        : ''),
  );
  for (const k of result.kept) lines.push(`kept   ${k}`);
  return lines.join('\n');
}
