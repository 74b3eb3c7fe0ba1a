/**
 * Route tables whose cached policy once allowed what the decision refused: IAM's `*` matches `/`, a
 * policy wrote `*` for the method of an ANY route, and a wildcard route's allow covered a route that
 * binds a parameter. Each table is run through the handler (fresh answer and the answer replayed from the
 * result cache for the attack request) and through the local gateway (its IAM evaluation and cache).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../../common/authorizer-config';
import { validateAuthorizerConfig } from '../../../common/authorizer-config-validate';
import type { RouteSpec } from '../../../common/route-model';
import { createHandler } from '../../../lambda/authorizer/handler';
import type { IamPolicyResponse } from '../../../lambda/authorizer/build-response';
import type { LocalGateway } from '../../../local/gateway/local-gateway';
import { startLocalGateway } from '../../../local/gateway/local-gateway';
import { request } from '../../../local/http/request';
import { apigwEvent, methodArn } from '../../fixtures/apigw/events';
import { ISSUER, RecordingLog, evaluatePolicy, principal, tableVerifier } from './pipeline-fixtures';

const member = (role: string): RouteSpec['requirement'] => ({ anyOf: { realmRoles: [role] } });

interface Case {
  readonly name: string;
  readonly routes: RouteSpec[];
  readonly roles: string[];
  /** A request the caller may make (its answer gets cached). */
  readonly allowed: { method: string; path: string };
  /** A request the caller may not make, answered from the cached policy. */
  readonly attack: { method: string; path: string };
  /** null: the table is accepted with the cache on; else the start of the refusal. */
  readonly refusedWhenCached: string | null;
}

const CASES: Case[] = [
  {
    name: 'ANY /tenants/{tenantId}/{proxy+}: the method is not a wildcard any more',
    routes: [
      {
        method: 'ANY',
        path: '/tenants/{tenantId}/{proxy+}',
        auth: 'keycloak',
        requirement: member('tenant:{tenantId}:member'),
      },
    ],
    roles: ['tenant:acme:member'],
    allowed: { method: 'GET', path: '/tenants/acme/x' },
    attack: { method: 'DELETE', path: '/tenants/victim/tenants/acme/x' },
    refusedWhenCached: null,
  },
  {
    name: 'GET /api/{version}/projects/{projectId}/{proxy+}: a free parameter before the bound one',
    routes: [
      {
        method: 'GET',
        path: '/api/{version}/projects/{projectId}/{proxy+}',
        auth: 'keycloak',
        requirement: member('project:{projectId}:read'),
      },
    ],
    roles: ['project:acme:read'],
    allowed: { method: 'GET', path: '/api/v1/projects/acme/x' },
    attack: { method: 'GET', path: '/api/v1/projects/victim/projects/acme/x' },
    refusedWhenCached:
      'routes: GET /api/{version}/projects/{projectId}/{proxy+} has {version} before {projectId}',
  },
  {
    name: 'ANY /orgs/{orgId}/settings beside POST /{collection}/{itemId}/settings',
    routes: [
      {
        method: 'ANY',
        path: '/orgs/{orgId}/settings',
        auth: 'keycloak',
        requirement: member('org:{orgId}:admin'),
      },
      {
        method: 'POST',
        path: '/{collection}/{itemId}/settings',
        auth: 'keycloak',
        requirement: member('editor'),
      },
    ],
    roles: ['org:acme:admin'],
    allowed: { method: 'POST', path: '/orgs/acme/settings' },
    attack: { method: 'POST', path: '/orgs/victim/settings' },
    refusedWhenCached: 'routes: POST /{collection}/{itemId}/settings and ANY /orgs/{orgId}/settings overlap',
  },
  {
    name: 'ANY /models/{modelId}/invoke beside POST /{proxy+}',
    routes: [
      {
        method: 'ANY',
        path: '/models/{modelId}/invoke',
        auth: 'keycloak',
        requirement: member('model:{modelId}:invoke'),
      },
      { method: 'POST', path: '/{proxy+}', auth: 'keycloak', requirement: member('staff') },
    ],
    roles: ['staff', 'model:cheap:invoke'],
    allowed: { method: 'POST', path: '/models/cheap/invoke' },
    attack: { method: 'POST', path: '/models/expensive/invoke' },
    refusedWhenCached: 'routes: POST /{proxy+} and ANY /models/{modelId}/invoke overlap',
  },
];

function configFor(c: Case, resultCacheTtlSeconds: number): AuthorizerConfig {
  return {
    version: 1,
    issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['keygate-web'] }],
    routes: c.routes,
    resultCacheTtlSeconds,
  };
}

/** The TTL each table can run with: the cache on when the checks accept it, else off. */
function servingTtl(c: Case): number {
  return c.refusedWhenCached === null ? 300 : 0;
}

describe.each(CASES)('$name', (c) => {
  it(
    c.refusedWhenCached === null
      ? 'is accepted with the result cache on'
      : 'is refused with the result cache on, naming the routes, and accepted with it off',
    () => {
      const cached = validateAuthorizerConfig(configFor(c, 300));
      if (c.refusedWhenCached === null) expect(cached).toEqual({ ok: true, config: configFor(c, 300) });
      else {
        expect(cached.ok).toBe(false);
        expect(cached.ok ? [] : cached.errors.map((e) => e.slice(0, c.refusedWhenCached!.length))).toEqual([
          c.refusedWhenCached,
        ]);
      }
      expect(validateAuthorizerConfig(configFor(c, 0)).ok).toBe(true);
    },
  );

  it.each(['rest', 'http-1.0', 'http-2.0'] as const)(
    '%s: the policy cached on an allowed request refuses the attack, as the decision does',
    async (kind) => {
      const log = new RecordingLog();
      const handler = createHandler({
        config: { ok: true, config: configFor(c, servingTtl(c)) },
        createVerifier: () => tableVerifier({ tok: principal('caller', { realmRoles: c.roles }) }),
        log,
      });
      const ask = (r: { method: string; path: string }) =>
        handler(apigwEvent(kind, { ...r, authorization: 'Bearer tok' })) as Promise<IamPolicyResponse>;
      const first = await ask(c.allowed);
      const attack = await ask(c.attack);
      const attackArn = methodArn(kind, c.attack.method, c.attack.path);
      expect(
        evaluatePolicy(first.policyDocument.Statement, methodArn(kind, c.allowed.method, c.allowed.path)),
      ).toBe('allow');
      // Replayed from the cache for the attack, and answered fresh for it: both refuse.
      expect(evaluatePolicy(first.policyDocument.Statement, attackArn)).toBe('deny');
      expect(evaluatePolicy(attack.policyDocument.Statement, attackArn)).toBe('deny');
      expect(log.lines.map((l) => [l.decision, l.reason])).toEqual([
        ['allow', 'allowed'],
        ['deny', 'route_forbidden'],
      ]);
    },
  );
});

describe('the same tables behind the local gateway (IAM evaluation and result cache)', () => {
  let gateway: LocalGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it.each(CASES)('$name: 200 for the allowed request, then 403 for the attack', async (c) => {
    const ttl = servingTtl(c);
    const handler = createHandler({
      config: { ok: true, config: configFor(c, ttl) },
      createVerifier: () => tableVerifier({ tok: principal('caller', { realmRoles: c.roles }) }),
      log: new RecordingLog(),
    });
    let invocations = 0;
    gateway = await startLocalGateway({
      routes: c.routes,
      cacheTtlSeconds: ttl,
      authorizer: (event) => {
        invocations++;
        return handler(event);
      },
      integration: async () => ({ statusCode: 200, body: 'ok', isBase64Encoded: false }),
    });
    const call = (r: { method: string; path: string }) =>
      request(`${gateway!.url}${r.path}`, { method: r.method, headers: { authorization: 'Bearer tok' } });
    expect((await call(c.allowed)).status).toBe(200);
    expect((await call(c.attack)).status).toBe(403);
    // With the cache on the attack was answered from the cached policy, else by the authorizer.
    expect(invocations).toBe(ttl > 0 ? 1 : 2);
  });
});

describe('spellings of a denied route that are not canonical (common/canonical-path.ts)', () => {
  // `GET/admin/*` is allowed to staff; `GET/admin/reports` is denied to them by a Deny of its literal ARN,
  // which these spellings do not match, while API Gateway may route them to `GET /admin/reports`.
  const routes: RouteSpec[] = [
    { method: 'GET', path: '/admin/{page}', auth: 'keycloak', requirement: member('staff') },
    { method: 'GET', path: '/admin/reports', auth: 'keycloak', requirement: member('admin') },
  ];
  const config: AuthorizerConfig = {
    version: 1,
    issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['keygate-web'] }],
    routes,
    resultCacheTtlSeconds: 300,
  };
  const ATTACKS = [
    '/admin/%72eports',
    '/admin/%72%65%70%6F%72%74%73',
    '/admin/reports/',
    '/admin//reports',
    '/admin/x/../reports',
    '/admin/./reports',
    '/admin/x%2F..%2Freports',
  ];

  it('the table is accepted with the result cache on', () => {
    expect(validateAuthorizerConfig(config)).toEqual({ ok: true, config });
  });

  it.each(['rest', 'http-1.0', 'http-2.0'] as const)(
    '%s: a policy cached for /admin/b denies every spelling; asked fresh, the authorizer refuses each with a 401',
    async (kind) => {
      const log = new RecordingLog();
      const handler = createHandler({
        config: { ok: true, config },
        createVerifier: () => tableVerifier({ tok: principal('caller', { realmRoles: ['staff'] }) }),
        log,
      });
      const ask = (path: string) =>
        handler(
          apigwEvent(kind, { method: 'GET', path, authorization: 'Bearer tok' }),
        ) as Promise<IamPolicyResponse>;
      const first = await ask('/admin/b');
      expect(evaluatePolicy(first.policyDocument.Statement, methodArn(kind, 'GET', '/admin/b'))).toBe(
        'allow',
      );
      expect(evaluatePolicy(first.policyDocument.Statement, methodArn(kind, 'GET', '/admin/reports'))).toBe(
        'deny',
      );
      for (const path of ATTACKS) {
        expect([path, evaluatePolicy(first.policyDocument.Statement, methodArn(kind, 'GET', path))]).toEqual([
          path,
          'deny',
        ]);
        await expect(ask(path)).rejects.toThrow('Unauthorized');
      }
      expect(log.lines.map((l) => [l.decision, l.reason])).toEqual([
        ['allow', 'allowed'],
        ...ATTACKS.map(() => ['unauthorized', 'path_not_canonical']),
      ]);
    },
  );
});
