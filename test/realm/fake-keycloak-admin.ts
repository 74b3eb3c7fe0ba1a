/**
 * A Keycloak stand-in for tests: the admin REST endpoints the apply command calls, with in-memory
 * state, on 127.0.0.1. It follows Keycloak's behaviour where the apply logic depends on it: 201 with a
 * Location header on create, 409 on duplicates, 404 for unknown ids, default realm roles, a
 * service-account user per client with service accounts, brief role representations in role mappings.
 * Every request is recorded so tests can count writes.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

export interface FakeRole extends Json {
  id: string;
  name: string;
  description?: string;
  composite: boolean;
  clientRole: boolean;
  containerId: string;
}
export interface FakeClient {
  rep: Json & { id: string; clientId: string };
  roles: Map<string, FakeRole>;
  mappers: Map<string, Json & { id: string; name: string }>;
}
export interface FakeUser {
  rep: Json & { id: string; username: string };
  realmRoles: Set<string>;
  /** client uuid -> role ids */
  clientRoles: Map<string, Set<string>>;
  password?: string;
}
export interface FakeGroup {
  id: string;
  name: string;
  subGroups: FakeGroup[];
}
export interface FakeRealm {
  rep: Json & { realm: string };
  roles: Map<string, FakeRole>;
  clients: Map<string, FakeClient>;
  users: Map<string, FakeUser>;
  groups: FakeGroup[];
  idps: Map<string, Json & { alias: string }>;
  idpMappers: Map<string, Json & { id: string; name: string; identityProviderAlias: string }>;
  /** Authentication flows by alias, each with its direct executions in order. */
  flows: Map<string, { rep: Json & { id: string; alias: string }; executions: FakeExecution[] }>;
  /** Authenticator configurations by execution id. */
  authenticatorConfigs: Map<string, Json>;
}
export interface FakeExecution extends Json {
  id: string;
  requirement: string;
  level: 0;
  providerId?: string;
  displayName?: string;
  authenticationFlow?: boolean;
}

export interface FakeKeycloak {
  readonly url: string;
  readonly realms: Map<string, FakeRealm>;
  /** `METHOD /path` of every admin request, in order. */
  readonly requests: string[];
  /** Requests that matched no implemented endpoint. */
  readonly unhandled: string[];
  writes(): string[];
  close(): Promise<void>;
}

export async function startFakeKeycloak(
  admin = { username: 'admin', password: 'admin-pw' },
): Promise<FakeKeycloak> {
  const realms = new Map<string, FakeRealm>();
  const tokens = new Set<string>();
  const requests: string[] = [];
  const unhandled: string[] = [];

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => send(res, 500, { error: String(e) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    if (method === 'POST' && url.pathname === '/realms/master/protocol/openid-connect/token') {
      const form = new URLSearchParams(raw);
      const ok =
        form.get('client_id') === 'admin-cli' &&
        ((form.get('grant_type') === 'password' &&
          form.get('username') === admin.username &&
          form.get('password') === admin.password) ||
          (form.get('grant_type') === 'refresh_token' && tokens.has(form.get('refresh_token') ?? '')));
      if (!ok) return send(res, 401, { error: 'invalid_grant' });
      const access = fakeJwt(60);
      const refresh = fakeJwt(1800);
      tokens.add(access).add(refresh);
      return send(res, 200, {
        access_token: access,
        refresh_token: refresh,
        expires_in: 60,
        token_type: 'Bearer',
      });
    }
    if (!url.pathname.startsWith('/admin/realms')) return notFound(method, url, res);
    requests.push(`${method} ${url.pathname}`);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer || !tokens.has(bearer)) return send(res, 401, { error: 'HTTP 401 Unauthorized' });
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    // After /admin/realms; a trailing slash is accepted, as by Keycloak.
    const segs = url.pathname.replace(/\/+$/, '').split('/').slice(3).map(decodeURIComponent);
    const base = `http://${req.headers.host}/admin/realms`;

    if (segs.length === 0) {
      if (method === 'POST') {
        const rep = body as Json & { realm: string };
        if (realms.has(rep.realm))
          return send(res, 409, { errorMessage: 'Conflict detected. See logs for details' });
        realms.set(rep.realm, newRealm(rep));
        return created(res, `${base}/${rep.realm}`);
      }
      if (method === 'GET')
        return send(
          res,
          200,
          [...realms.values()].map((r) => r.rep),
        );
      return notFound(method, url, res);
    }
    const realm = realms.get(segs[0]);
    if (!realm) return send(res, 404, { error: 'Realm not found.' });
    const [, kind, a, b, c, d, e] = segs;
    const rb = `${base}/${segs[0]}`;

    if (kind === undefined) {
      if (method === 'GET') return send(res, 200, realm.rep);
      if (method === 'PUT') {
        Object.assign(realm.rep, body as Json);
        return send(res, 204);
      }
    }
    if (kind === 'roles') {
      if (a === undefined && method === 'GET') return send(res, 200, [...realm.roles.values()]);
      if (a === undefined && method === 'POST') {
        const rep = body as Json & { name: string };
        if (!rep.name) return send(res, 400, { errorMessage: 'name required' });
        if (realm.roles.has(rep.name))
          return send(res, 409, { errorMessage: `Role with name ${rep.name} already exists` });
        realm.roles.set(rep.name, role(rep, false, realm.rep.realm as string));
        return created(res, `${rb}/roles/${encodeURIComponent(rep.name)}`);
      }
      const r = a !== undefined ? realm.roles.get(a) : undefined;
      if (!r) return send(res, 404, { error: 'Could not find role' });
      if (method === 'GET') return send(res, 200, r);
      if (method === 'PUT') {
        Object.assign(r, pickRole(body as Json));
        return send(res, 204);
      }
      if (method === 'DELETE') {
        realm.roles.delete(r.name);
        for (const u of realm.users.values()) u.realmRoles.delete(r.id);
        return send(res, 204);
      }
    }
    if (kind === 'clients') {
      if (a === undefined && method === 'GET') {
        const want = url.searchParams.get('clientId');
        const list = [...realm.clients.values()].filter((cl) => want === null || cl.rep.clientId === want);
        return send(
          res,
          200,
          list.map((cl) => clientView(cl)),
        );
      }
      if (a === undefined && method === 'POST') {
        const rep = body as Json & { clientId: string; protocolMappers?: Json[] };
        if ([...realm.clients.values()].some((cl) => cl.rep.clientId === rep.clientId)) {
          return send(res, 409, { errorMessage: `Client ${rep.clientId} already exists` });
        }
        const id = randomUUID();
        const { protocolMappers, ...rest } = rep;
        const cl: FakeClient = { rep: { ...rest, id }, roles: new Map(), mappers: new Map() };
        for (const m of protocolMappers ?? []) {
          const mid = randomUUID();
          cl.mappers.set(mid, { ...(m as Json & { name: string }), id: mid });
        }
        realm.clients.set(id, cl);
        ensureServiceAccount(realm, cl);
        return created(res, `${rb}/clients/${id}`);
      }
      const cl = a !== undefined ? realm.clients.get(a) : undefined;
      if (!cl) return send(res, 404, { error: 'Could not find client' });
      if (b === undefined) {
        if (method === 'GET') return send(res, 200, clientView(cl));
        if (method === 'PUT') {
          const rest = { ...(body as Json) };
          delete rest.protocolMappers;
          delete rest.id;
          Object.assign(cl.rep, rest);
          ensureServiceAccount(realm, cl);
          return send(res, 204);
        }
      }
      if (b === 'roles') {
        if (c === undefined && method === 'GET') return send(res, 200, [...cl.roles.values()]);
        if (c === undefined && method === 'POST') {
          const rep = body as Json & { name: string };
          if (cl.roles.has(rep.name))
            return send(res, 409, { errorMessage: `Role with name ${rep.name} already exists` });
          cl.roles.set(rep.name, role(rep, true, cl.rep.id));
          return created(res, `${rb}/clients/${cl.rep.id}/roles/${encodeURIComponent(rep.name)}`);
        }
        const r = c !== undefined ? cl.roles.get(c) : undefined;
        if (!r) return send(res, 404, { error: 'Could not find role' });
        if (method === 'GET') return send(res, 200, r);
        if (method === 'PUT') {
          Object.assign(r, pickRole(body as Json));
          return send(res, 204);
        }
        if (method === 'DELETE') {
          cl.roles.delete(r.name);
          for (const u of realm.users.values()) u.clientRoles.get(cl.rep.id)?.delete(r.id);
          return send(res, 204);
        }
      }
      if (b === 'protocol-mappers' && c === 'models') {
        if (d === undefined && method === 'GET') return send(res, 200, [...cl.mappers.values()]);
        if (d === undefined && method === 'POST') {
          const rep = body as Json & { name: string };
          if ([...cl.mappers.values()].some((m) => m.name === rep.name)) {
            return send(res, 409, { errorMessage: `Protocol mapper exists with same name` });
          }
          const mid = randomUUID();
          cl.mappers.set(mid, { ...rep, id: mid });
          return created(res, `${rb}/clients/${cl.rep.id}/protocol-mappers/models/${mid}`);
        }
        const m = d !== undefined ? cl.mappers.get(d) : undefined;
        if (!m) return send(res, 404, { error: 'Model not found' });
        if (method === 'PUT') {
          Object.assign(m, body as Json, { id: m.id });
          return send(res, 204);
        }
        if (method === 'DELETE') {
          cl.mappers.delete(m.id);
          return send(res, 204);
        }
      }
      if (b === 'service-account-user' && method === 'GET') {
        const u = [...realm.users.values()].find((x) => x.rep.serviceAccountClientId === cl.rep.clientId);
        if (!u) return send(res, 400, { error: 'Service account not enabled for the client' });
        return send(res, 200, u.rep);
      }
    }
    if (kind === 'users') {
      if (a === undefined && method === 'GET') {
        const name = url.searchParams.get('username');
        const exact = url.searchParams.get('exact') === 'true';
        const list = [...realm.users.values()].filter(
          (u) =>
            !u.rep.serviceAccountClientId &&
            (name === null || (exact ? u.rep.username === name : u.rep.username.includes(name))),
        );
        return send(
          res,
          200,
          list.map((u) => u.rep),
        );
      }
      if (a === undefined && method === 'POST') {
        const rep = body as Json & { username: string; credentials?: { value?: string }[] };
        const username = rep.username.toLowerCase();
        if ([...realm.users.values()].some((u) => u.rep.username === username)) {
          return send(res, 409, { errorMessage: 'User exists with same username' });
        }
        const id = randomUUID();
        const { credentials, ...rest } = rep;
        const u: FakeUser = {
          rep: { ...rest, username, id, enabled: rest.enabled ?? false },
          realmRoles: new Set([realm.roles.get(`default-roles-${realm.rep.realm}`)!.id]),
          clientRoles: new Map(),
          password: credentials?.[0]?.value,
        };
        realm.users.set(id, u);
        return created(res, `${rb}/users/${id}`);
      }
      const u = a !== undefined ? realm.users.get(a) : undefined;
      if (!u) return send(res, 404, { error: 'User not found' });
      if (b === undefined) {
        if (method === 'GET') return send(res, 200, u.rep);
        if (method === 'PUT') {
          const rest = { ...(body as Json) };
          delete rest.id;
          delete rest.username;
          Object.assign(u.rep, rest);
          return send(res, 204);
        }
      }
      if (b === 'reset-password' && method === 'PUT') {
        u.password = (body as { value?: string }).value;
        return send(res, 204);
      }
      if (b === 'role-mappings' && c === 'realm') {
        const all = [...realm.roles.values()];
        if (method === 'GET')
          return send(
            res,
            200,
            all.filter((r) => u.realmRoles.has(r.id)),
          );
        return mutateMappings(res, method, body, u.realmRoles, new Set(all.map((r) => r.id)));
      }
      if (b === 'role-mappings' && c === 'clients' && d !== undefined && e === undefined) {
        const cl = realm.clients.get(d);
        if (!cl) return send(res, 404, { error: 'Client not found' });
        if (!u.clientRoles.has(cl.rep.id)) u.clientRoles.set(cl.rep.id, new Set());
        const held = u.clientRoles.get(cl.rep.id)!;
        const all = [...cl.roles.values()];
        if (method === 'GET')
          return send(
            res,
            200,
            all.filter((r) => held.has(r.id)),
          );
        return mutateMappings(res, method, body, held, new Set(all.map((r) => r.id)));
      }
    }
    if (kind === 'groups') {
      const find = (list: FakeGroup[], id: string): FakeGroup | undefined =>
        list.map((g) => (g.id === id ? g : find(g.subGroups, id))).find(Boolean);
      if (a === undefined && method === 'GET') return send(res, 200, realm.groups.map(groupView));
      if (a === undefined && method === 'POST') {
        const name = (body as { name: string }).name;
        if (realm.groups.some((g) => g.name === name))
          return send(res, 409, { errorMessage: 'Top level group exists' });
        const g = { id: randomUUID(), name, subGroups: [] };
        realm.groups.push(g);
        return created(res, `${rb}/groups/${g.id}`);
      }
      const parent = a !== undefined ? find(realm.groups, a) : undefined;
      if (!parent) return send(res, 404, { error: 'Could not find group by id' });
      if (b === 'children' && method === 'GET') return send(res, 200, parent.subGroups.map(groupView));
      if (b === 'children' && method === 'POST') {
        const name = (body as { name: string }).name;
        if (parent.subGroups.some((g) => g.name === name))
          return send(res, 409, { errorMessage: 'Sibling group exists' });
        const g = { id: randomUUID(), name, subGroups: [] };
        parent.subGroups.push(g);
        return created(res, `${rb}/groups/${g.id}`);
      }
    }
    if (kind === 'identity-provider' && a === 'instances') {
      if (b === undefined && method === 'GET')
        return send(res, 200, [...realm.idps.values()].map(maskSecret));
      if (b === undefined && method === 'POST') {
        const rep = body as Json & { alias: string };
        if (realm.idps.has(rep.alias))
          return send(res, 409, { errorMessage: 'Identity Provider already exists' });
        realm.idps.set(rep.alias, { ...rep, internalId: randomUUID() });
        return created(res, `${rb}/identity-provider/instances/${rep.alias}`);
      }
      const idp = b !== undefined ? realm.idps.get(b) : undefined;
      if (!idp) return send(res, 404, { error: 'Could not find identity provider' });
      if (c === undefined && method === 'GET') return send(res, 200, maskSecret(idp));
      if (c === undefined && method === 'PUT') {
        Object.assign(idp, body as Json, { alias: idp.alias });
        return send(res, 204);
      }
      if (c === 'mappers') {
        const mine = [...realm.idpMappers.values()].filter((m) => m.identityProviderAlias === idp.alias);
        if (d === undefined && method === 'GET') return send(res, 200, mine);
        if (d === undefined && method === 'POST') {
          const id = randomUUID();
          realm.idpMappers.set(id, {
            ...(body as Json & { name: string }),
            id,
            identityProviderAlias: idp.alias,
          });
          return created(res, `${rb}/identity-provider/instances/${idp.alias}/mappers/${id}`);
        }
        const m = d !== undefined ? realm.idpMappers.get(d) : undefined;
        if (m && method === 'PUT') {
          Object.assign(m, body as Json, { id: m.id });
          return send(res, 204);
        }
      }
    }
    if (kind === 'authentication') {
      // The flow endpoints realm:apply calls for the step-up flow (AuthenticationManagementResource).
      if (a === 'flows' && b === undefined) {
        if (method === 'GET')
          return send(
            res,
            200,
            [...realm.flows.values()].map((f) => f.rep),
          );
        if (method === 'POST') {
          const rep = body as Json & { alias: string };
          if (realm.flows.has(rep.alias)) return send(res, 409, { errorMessage: 'Flow already exists' });
          realm.flows.set(rep.alias, { rep: { ...rep, id: randomUUID() }, executions: [] });
          return created(res, `${rb}/authentication/flows/${rep.alias}`);
        }
      }
      const flow = a === 'flows' && b !== undefined ? realm.flows.get(b) : undefined;
      if (a === 'flows' && c === 'executions') {
        if (!flow) return send(res, 404, { error: 'Flow not found' });
        if (d === undefined && method === 'GET') return send(res, 200, flow.executions);
        if (d === undefined && method === 'PUT') {
          const rep = body as Json & { id: string; requirement: string };
          const x = flow.executions.find((e) => e.id === rep.id);
          if (!x) return send(res, 404, { error: 'Execution not found' });
          x.requirement = rep.requirement;
          return send(res, 202);
        }
        if (d === 'execution' && method === 'POST') {
          const id = randomUUID();
          const provider = (body as { provider: string }).provider;
          flow.executions.push({
            id,
            providerId: provider,
            displayName: provider,
            requirement: 'DISABLED',
            level: 0,
          });
          return created(res, `${rb}/authentication/executions/${id}`);
        }
        if (d === 'flow' && method === 'POST') {
          const rep = body as Json & { alias: string };
          if (realm.flows.has(rep.alias)) return send(res, 409, { errorMessage: 'Flow already exists' });
          const id = randomUUID();
          realm.flows.set(rep.alias, { rep: { ...rep, id: randomUUID(), topLevel: false }, executions: [] });
          flow.executions.push({
            id,
            displayName: rep.alias,
            authenticationFlow: true,
            requirement: 'DISABLED',
            level: 0,
          });
          return created(res, `${rb}/authentication/executions/${id}`);
        }
      }
      if (a === 'executions' && b !== undefined && c === 'config' && method === 'POST') {
        realm.authenticatorConfigs.set(b, { ...(body as Json), id: randomUUID() });
        return created(res, `${rb}/authentication/config/${b}`);
      }
    }
    return notFound(method, url, res);
  }

  function notFound(method: string, url: URL, res: ServerResponse) {
    unhandled.push(`${method} ${url.pathname}`);
    send(res, 404, { error: 'unknown endpoint' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    realms,
    requests,
    unhandled,
    writes: () => requests.filter((r) => !r.startsWith('GET ')),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function newRealm(rep: Json & { realm: string }): FakeRealm {
  const realm: FakeRealm = {
    rep: { ...rep, id: rep.realm },
    roles: new Map(),
    clients: new Map(),
    users: new Map(),
    groups: [],
    idps: new Map(),
    idpMappers: new Map(),
    flows: new Map(),
    authenticatorConfigs: new Map(),
  };
  for (const name of ['offline_access', 'uma_authorization', `default-roles-${rep.realm}`]) {
    realm.roles.set(name, role({ name }, false, rep.realm));
  }
  // Keycloak's own clients exist in every realm.
  for (const clientId of ['account', 'admin-cli', 'broker', 'realm-management']) {
    const id = randomUUID();
    realm.clients.set(id, { rep: { id, clientId, enabled: true }, roles: new Map(), mappers: new Map() });
  }
  return realm;
}

function ensureServiceAccount(realm: FakeRealm, cl: FakeClient): void {
  if (cl.rep.serviceAccountsEnabled !== true) return;
  if ([...realm.users.values()].some((u) => u.rep.serviceAccountClientId === cl.rep.clientId)) return;
  const id = randomUUID();
  realm.users.set(id, {
    rep: {
      id,
      username: `service-account-${cl.rep.clientId}`.toLowerCase(),
      enabled: true,
      serviceAccountClientId: cl.rep.clientId,
    },
    realmRoles: new Set([realm.roles.get(`default-roles-${realm.rep.realm}`)!.id]),
    clientRoles: new Map(),
  });
}

function role(rep: Json & { name?: unknown }, clientRole: boolean, containerId: string): FakeRole {
  return {
    id: randomUUID(),
    name: String(rep.name),
    ...(typeof rep.description === 'string' ? { description: rep.description } : {}),
    composite: false,
    clientRole,
    containerId,
  };
}

function pickRole(rep: Json): Partial<FakeRole> {
  return typeof rep.description === 'string' ? { description: rep.description } : {};
}

/** Keycloak masks stored identity-provider secrets in responses, except vault references. */
function maskSecret(idp: Json): Json {
  const config = idp.config as Record<string, unknown> | undefined;
  const secret = config?.clientSecret;
  if (typeof secret !== 'string' || secret.startsWith('${vault.')) return idp;
  return { ...idp, config: { ...config, clientSecret: '**********' } };
}

function clientView(cl: FakeClient): Json {
  return { ...cl.rep, protocolMappers: [...cl.mappers.values()] };
}

function groupView(g: FakeGroup): Json {
  return { id: g.id, name: g.name, path: `/${g.name}`, subGroupCount: g.subGroups.length };
}

function mutateMappings(
  res: ServerResponse,
  method: string,
  body: unknown,
  held: Set<string>,
  known: Set<string>,
): void {
  const roles = Array.isArray(body) ? (body as { id?: string }[]) : [];
  if (roles.some((r) => !r.id || !known.has(r.id))) return send(res, 404, { error: 'Role not found' });
  if (method === 'POST') roles.forEach((r) => held.add(r.id!));
  else if (method === 'DELETE') roles.forEach((r) => held.delete(r.id!));
  else return send(res, 405, { error: 'method not allowed' });
  send(res, 204);
}

function created(res: ServerResponse, location: string): void {
  res.writeHead(201, { location });
  res.end();
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 1_000_000) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** An unsigned JWT-shaped token: the admin client only decodes `exp` to plan refreshes. */
function fakeJwt(ttlSeconds: number): string {
  const enc = (o: Json) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ exp: Math.floor(Date.now() / 1000) + ttlSeconds, jti: randomUUID() })}.x`;
}
