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
import { applyStepUp, planNewStepUp, stepUpPartsOf } from './step-up-flow';

export interface ApplyOptions {
  /** Delete managed-scope objects the definition does not list. @default false */
  readonly prune?: boolean;
  /** Set test-user passwords from the definition even when the user already exists. @default false */
  readonly resetPasswords?: boolean;
  /** Report what would change without changing anything (no POST, PUT or DELETE). @default false */
  readonly dryRun?: boolean;
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
  const note: Note = (action, kind, name) => changes.push({ action, kind, name });
  const ctx: Ctx = { kc, opts, note, kept, dry: opts.dryRun === true };
  let unchanged = 0;

  // Every resource call addresses the target realm; authentication stays with the admin realm.
  kc.setConfig({ realmName: realm });

  // 1. The realm.
  const realmFields = pick(desired, REALM_FIELDS);
  const currentRealm = await kc.realms.findOne({ realm });
  if (!currentRealm) {
    note('create', 'realm', realm);
    if (ctx.dry) {
      planNewRealm(desired, note);
      return { changes, unchanged, kept };
    }
    await kc.realms.create({ realm, ...realmFields });
  } else if (!matches(realmFields, currentRealm)) {
    if (!ctx.dry) await kc.realms.update({ realm }, realmFields);
    note('update', 'realm', realm);
  } else unchanged++;

  // 2. Realm roles.
  const builtins = builtinRealmRoles(realm);
  const realmRoles = await kc.roles.find();
  for (const role of desired.roles?.realm ?? []) {
    const found = realmRoles.find((r) => r.name === role.name);
    if (!found) {
      if (!ctx.dry) await kc.roles.create(roleBody(role));
      note('create', 'realm role', role.name!);
    } else if (!matches(roleBody(role), found)) {
      if (!ctx.dry) await kc.roles.updateByName({ name: role.name! }, { ...found, ...roleBody(role) });
      note('update', 'realm role', role.name!);
    } else unchanged++;
  }
  for (const r of realmRoles) {
    if (builtins.has(r.name!) || desired.roles?.realm?.some((d) => d.name === r.name)) continue;
    if (opts.prune) {
      if (!ctx.dry) await kc.roles.delByName({ name: r.name! });
      note('delete', 'realm role', r.name!);
    } else kept.push(`realm role ${r.name}`);
  }

  // 3. Clients, their roles and protocol mappers.
  const clientUuids = new Map<string, string>();
  for (const client of desired.clients ?? []) {
    const clientId = client.clientId!;
    const body = clientBody(client);
    const [found] = (await kc.clients.find({ clientId })).filter((c) => c.clientId === clientId);
    const clientRoles = desired.roles?.client?.[clientId] ?? [];
    if (!found) {
      note('create', 'client', clientId);
      if (ctx.dry) {
        // Nothing to compare against: everything of a new client is created.
        for (const r of clientRoles) note('create', 'client role', `${clientId}:${r.name}`);
        for (const m of client.protocolMappers ?? [])
          note('create', 'protocol mapper', `${clientId}/${m.name}`);
        continue;
      }
      clientUuids.set(clientId, (await kc.clients.create(body)).id);
    } else {
      clientUuids.set(clientId, found.id!);
      if (!matches(body, found)) {
        if (!ctx.dry) {
          await kc.clients.update(
            { id: found.id! },
            {
              ...withoutMappers(found),
              ...body,
              attributes: { ...(found.attributes ?? {}), ...(body.attributes ?? {}) },
            },
          );
        }
        note('update', 'client', clientId);
      } else unchanged++;
    }
    const uuid = clientUuids.get(clientId)!;
    unchanged += await applyClientRoles(ctx, uuid, clientId, clientRoles);
    unchanged += await applyMappers(ctx, uuid, clientId, client.protocolMappers ?? []);
  }

  // 4. Users: service-account users (found through their client) and people.
  const roleIds = new Map((await kc.roles.find()).map((r) => [r.name!, r]));
  const clientRoleCache = new Map<string, { uuid: string; roles: Map<string, RoleRepresentation> } | null>();
  const clientRolesOf = async (clientId: string) => {
    if (!clientRoleCache.has(clientId)) {
      const uuid =
        clientUuids.get(clientId) ??
        (await kc.clients.find({ clientId })).find((c) => c.clientId === clientId)?.id;
      if (!uuid && !ctx.dry) {
        throw new Error(`user role mapping names client '${clientId}', which is not in the realm`);
      }
      clientRoleCache.set(
        clientId,
        uuid
          ? { uuid, roles: new Map((await kc.clients.listRoles({ id: uuid })).map((r) => [r.name!, r])) }
          : null,
      );
    }
    return clientRoleCache.get(clientId) ?? undefined;
  };
  for (const user of desired.users ?? []) {
    const name = user.username!;
    let userId: string | undefined;
    if (user.serviceAccountClientId) {
      const uuid = clientUuids.get(user.serviceAccountClientId);
      if (uuid) userId = (await kc.clients.getServiceAccountUser({ id: uuid })).id!;
      else if (!ctx.dry) {
        throw new Error(`service-account user ${name}: client ${user.serviceAccountClientId} is not defined`);
      }
    } else {
      const [found] = (await kc.users.find({ username: name, exact: true })).filter(
        (u) => u.username === name,
      );
      const profile = pick(user, USER_FIELDS);
      if (!found) {
        note('create', 'user', name);
        if (!ctx.dry) {
          const created = await kc.users.create({
            username: name,
            ...profile,
            ...(user.credentials ? { credentials: user.credentials } : {}),
            ...(user.requiredActions ? { requiredActions: user.requiredActions } : {}),
          });
          userId = created.id;
        }
      } else {
        userId = found.id!;
        if (!matches(profile, found)) {
          if (!ctx.dry) await kc.users.update({ id: userId }, { ...found, ...profile });
          note('update', 'user', name);
        } else unchanged++;
        const password = user.credentials?.find((c) => c.type === 'password')?.value;
        if (opts.resetPasswords && password) {
          if (!ctx.dry) {
            await kc.users.resetPassword({
              id: userId,
              credential: { type: 'password', value: password, temporary: false },
            });
          }
          note('update', 'user password', name);
        }
      }
    }
    if (userId === undefined) {
      // Dry run of a user (or service account) that does not exist yet: all its mappings are new.
      for (const n of user.realmRoles ?? []) note('create', 'role mapping', `${name} -> ${n}`);
      for (const [c, names] of Object.entries((user.clientRoles ?? {}) as Record<string, string[]>)) {
        for (const n of names) note('create', 'role mapping', `${name} -> ${c}:${n}`);
      }
      continue;
    }
    unchanged += await applyUserRoles(ctx, userId, name, user, roleIds, clientRolesOf, builtins);
  }

  // 5. Groups named by the routes (created, never deleted).
  unchanged += await applyGroups(ctx, desired.groups ?? [], undefined, '');

  // 6. Upstream identity providers and their mappers.
  for (const idp of desired.identityProviders ?? []) {
    unchanged += await applyIdentityProvider(ctx, idp, desired.identityProviderMappers ?? []);
  }

  // 7. Step-up: the ACR-to-LoA mapping and the step-up browser flow (realm/step-up-flow.ts).
  const stepUp = stepUpPartsOf(desired);
  if (stepUp) unchanged += await applyStepUp(kc, realm, stepUp, ctx.dry, note);

  return { changes, unchanged, kept };
}

type Note = (action: ChangeAction, kind: string, name: string) => void;

/** What every step needs: the client, the options, where changes and kept objects are recorded. */
interface Ctx {
  readonly kc: KeycloakAdminClient;
  readonly opts: ApplyOptions;
  readonly note: Note;
  readonly kept: string[];
  /** Report only: read, compare and record, but send no POST, PUT or DELETE. */
  readonly dry: boolean;
}

/** A dry run against a Keycloak without the realm: every object of the definition would be created. */
function planNewRealm(desired: RealmRepresentation, note: Note): void {
  for (const r of desired.roles?.realm ?? []) note('create', 'realm role', r.name!);
  for (const c of desired.clients ?? []) {
    note('create', 'client', c.clientId!);
    for (const r of desired.roles?.client?.[c.clientId!] ?? [])
      note('create', 'client role', `${c.clientId}:${r.name}`);
    for (const m of c.protocolMappers ?? []) note('create', 'protocol mapper', `${c.clientId}/${m.name}`);
  }
  for (const u of desired.users ?? []) {
    if (!u.serviceAccountClientId) note('create', 'user', u.username!);
    for (const n of u.realmRoles ?? []) note('create', 'role mapping', `${u.username} -> ${n}`);
    for (const [c, names] of Object.entries((u.clientRoles ?? {}) as Record<string, string[]>)) {
      for (const n of names) note('create', 'role mapping', `${u.username} -> ${c}:${n}`);
    }
  }
  planGroups(desired.groups ?? [], '', note);
  for (const idp of desired.identityProviders ?? []) {
    note('create', 'identity provider', idp.alias!);
    for (const m of (desired.identityProviderMappers ?? []).filter(
      (x) => x.identityProviderAlias === idp.alias,
    )) {
      note('create', 'identity provider mapper', `${idp.alias}/${m.name}`);
    }
  }
  const stepUp = stepUpPartsOf(desired);
  if (stepUp) planNewStepUp(stepUp, note);
}

function planGroups(groups: readonly GroupNode[], parentPath: string, note: Note): void {
  for (const g of groups) {
    note('create', 'group', `${parentPath}/${g.name}`);
    planGroups(g.subGroups ?? [], `${parentPath}/${g.name}`, note);
  }
}

async function applyClientRoles(
  ctx: Ctx,
  uuid: string,
  clientId: string,
  desired: readonly RoleRepresentation[],
): Promise<number> {
  const { kc, note } = ctx;
  let unchanged = 0;
  const current = await kc.clients.listRoles({ id: uuid });
  for (const role of desired) {
    const found = current.find((r) => r.name === role.name);
    const label = `${clientId}:${role.name}`;
    if (!found) {
      if (!ctx.dry) await kc.clients.createRole({ id: uuid, ...roleBody(role) });
      note('create', 'client role', label);
    } else if (!matches(roleBody(role), found)) {
      if (!ctx.dry) {
        await kc.clients.updateRole({ id: uuid, roleName: role.name! }, { ...found, ...roleBody(role) });
      }
      note('update', 'client role', label);
    } else unchanged++;
  }
  for (const r of current) {
    if (desired.some((d) => d.name === r.name)) continue;
    if (ctx.opts.prune) {
      if (!ctx.dry) await kc.clients.delRole({ id: uuid, roleName: r.name! });
      note('delete', 'client role', `${clientId}:${r.name}`);
    } else ctx.kept.push(`client role ${clientId}:${r.name}`);
  }
  return unchanged;
}

async function applyMappers(
  ctx: Ctx,
  uuid: string,
  clientId: string,
  desired: readonly ProtocolMapperRepresentation[],
): Promise<number> {
  const { kc, note } = ctx;
  let unchanged = 0;
  const current = await kc.clients.listProtocolMappers({ id: uuid });
  for (const mapper of desired) {
    const found = current.find((m) => m.name === mapper.name);
    const label = `${clientId}/${mapper.name}`;
    if (!found) {
      if (!ctx.dry) await kc.clients.addProtocolMapper({ id: uuid }, mapper);
      note('create', 'protocol mapper', label);
    } else if (!matches(mapper, found)) {
      if (!ctx.dry) {
        await kc.clients.updateProtocolMapper(
          { id: uuid, mapperId: found.id! },
          { ...found, ...mapper, config: { ...(found.config ?? {}), ...(mapper.config ?? {}) } },
        );
      }
      note('update', 'protocol mapper', label);
    } else unchanged++;
  }
  for (const m of current) {
    if (desired.some((d) => d.name === m.name)) continue;
    if (ctx.opts.prune) {
      if (!ctx.dry) await kc.clients.delProtocolMapper({ id: uuid, mapperId: m.id! });
      note('delete', 'protocol mapper', `${clientId}/${m.name}`);
    } else ctx.kept.push(`protocol mapper ${clientId}/${m.name}`);
  }
  return unchanged;
}

async function applyUserRoles(
  ctx: Ctx,
  userId: string,
  username: string,
  user: UserRepresentation,
  realmRoles: Map<string, RoleRepresentation>,
  clientRolesOf: (
    clientId: string,
  ) => Promise<{ uuid: string; roles: Map<string, RoleRepresentation> } | undefined>,
  builtins: Set<string>,
): Promise<number> {
  const { kc, note } = ctx;
  let unchanged = 0;
  // Realm roles.
  const wanted = new Set<string>(user.realmRoles ?? []);
  const current = await kc.users.listRealmRoleMappings({ id: userId });
  const missing = [...wanted].filter((n) => !current.some((r) => r.name === n));
  if (missing.length) {
    if (!ctx.dry) {
      const roles = missing.map((n) => {
        const r = realmRoles.get(n);
        if (!r?.id) throw new Error(`user ${username}: realm role '${n}' does not exist in the realm`);
        return { id: r.id, name: n };
      });
      await kc.users.addRealmRoleMappings({ id: userId, roles });
    }
    for (const n of missing) note('create', 'role mapping', `${username} -> ${n}`);
  } else unchanged++;
  const extra = current.filter((r) => !wanted.has(r.name!) && !builtins.has(r.name!));
  if (extra.length) {
    if (ctx.opts.prune) {
      if (!ctx.dry) {
        await kc.users.delRealmRoleMappings({
          id: userId,
          roles: extra.map((r) => ({ id: r.id!, name: r.name! })),
        });
      }
      for (const r of extra) note('delete', 'role mapping', `${username} -> ${r.name}`);
    } else for (const r of extra) ctx.kept.push(`role mapping ${username} -> ${r.name}`);
  }
  // Client roles, per client named in the definition.
  for (const [clientId, names] of Object.entries((user.clientRoles ?? {}) as Record<string, string[]>)) {
    const client = await clientRolesOf(clientId);
    if (!client) {
      // Dry run only: the client is not there yet, so none of these mappings is.
      for (const n of names) note('create', 'role mapping', `${username} -> ${clientId}:${n}`);
      continue;
    }
    const have = await kc.users.listClientRoleMappings({ id: userId, clientUniqueId: client.uuid });
    const want = new Set(names);
    const add = [...want].filter((n) => !have.some((r) => r.name === n));
    if (add.length) {
      if (!ctx.dry) {
        const reps = add.map((n) => {
          const r = client.roles.get(n);
          if (!r?.id) {
            throw new Error(`user ${username}: client role '${clientId}:${n}' does not exist in the realm`);
          }
          return { id: r.id, name: n };
        });
        await kc.users.addClientRoleMappings({ id: userId, clientUniqueId: client.uuid, roles: reps });
      }
      for (const n of add) note('create', 'role mapping', `${username} -> ${clientId}:${n}`);
    } else unchanged++;
    const surplus = have.filter((r) => !want.has(r.name!));
    if (surplus.length) {
      if (ctx.opts.prune) {
        if (!ctx.dry) {
          await kc.users.delClientRoleMappings({
            id: userId,
            clientUniqueId: client.uuid,
            roles: surplus.map((r) => ({ id: r.id!, name: r.name! })),
          });
        }
        for (const r of surplus) note('delete', 'role mapping', `${username} -> ${clientId}:${r.name}`);
      } else for (const r of surplus) ctx.kept.push(`role mapping ${username} -> ${clientId}:${r.name}`);
    }
  }
  return unchanged;
}

interface GroupNode {
  readonly name?: string;
  readonly subGroups?: readonly GroupNode[];
}

async function applyGroups(
  ctx: Ctx,
  desired: readonly GroupNode[],
  parentId: string | undefined,
  parentPath: string,
): Promise<number> {
  const { kc, note } = ctx;
  if (desired.length === 0) return 0;
  let unchanged = 0;
  const current = parentId
    ? ((await kc.groups.listSubGroups({ parentId, briefRepresentation: true })) ?? [])
    : await kc.groups.find({ briefRepresentation: true });
  for (const g of desired) {
    const path = `${parentPath}/${g.name}`;
    let id = current.find((c) => c.name === g.name)?.id;
    if (!id) {
      note('create', 'group', path);
      if (ctx.dry) {
        planGroups(g.subGroups ?? [], path, note);
        continue;
      }
      id = parentId
        ? (await kc.groups.createChildGroup({ id: parentId }, { name: g.name })).id
        : (await kc.groups.create({ name: g.name })).id;
    } else unchanged++;
    unchanged += await applyGroups(ctx, g.subGroups ?? [], id, path);
  }
  return unchanged;
}

async function applyIdentityProvider(
  ctx: Ctx,
  idp: IdentityProviderRepresentation,
  mappers: readonly IdentityProviderMapperRepresentation[],
): Promise<number> {
  const { kc, note } = ctx;
  let unchanged = 0;
  const alias = idp.alias!;
  const own = mappers.filter((x) => x.identityProviderAlias === alias);
  const found = await kc.identityProviders.findOne({ alias });
  if (!found) {
    note('create', 'identity provider', alias);
    if (ctx.dry) {
      for (const m of own) note('create', 'identity provider mapper', `${alias}/${m.name}`);
      return 0;
    }
    await kc.identityProviders.create(idp);
  } else if (!matches(comparableIdp(idp, found), found)) {
    if (!ctx.dry) {
      await kc.identityProviders.update(
        { alias },
        { ...found, ...idp, config: { ...(found.config ?? {}), ...(idp.config ?? {}) } },
      );
    }
    note('update', 'identity provider', alias);
  } else unchanged++;
  const current = await kc.identityProviders.findMappers({ alias });
  for (const m of own) {
    const have = current.find((c) => c.name === m.name);
    if (!have) {
      if (!ctx.dry) await kc.identityProviders.createMapper({ alias, identityProviderMapper: m });
      note('create', 'identity provider mapper', `${alias}/${m.name}`);
    } else if (!matches(m, have)) {
      if (!ctx.dry) await kc.identityProviders.updateMapper({ alias, id: have.id! }, { ...have, ...m });
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
