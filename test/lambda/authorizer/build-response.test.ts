import { describe, expect, it } from 'vitest';
import { NON_CANONICAL_PATH_RESOURCES } from '../../../common/canonical-path';
import { CONTEXT_KEYS, MAX_CONTEXT_VALUE_LENGTH, splitList } from '../../../common/identity-context';
import { authorize, compileRoutes } from '../../../lambda/authorizer/authorize';
import type { IamPolicyResponse, SimpleResponse } from '../../../lambda/authorizer/build-response';
import {
  UNAUTHORIZED_MESSAGE,
  buildContext,
  buildResponse,
  unauthorizedError,
} from '../../../lambda/authorizer/build-response';
import { parseEvent } from '../../../lambda/authorizer/parse-event';
import type { EventKind } from '../../fixtures/apigw/events';
import { EVENT_KINDS, apigwEvent, arnPrefix } from '../../fixtures/apigw/events';
import { PRINCIPALS, ROUTES, principal } from './pipeline-fixtures';
import type { VerifiedPrincipal } from '../../../lambda/authorizer/types';

const table = compileRoutes(ROUTES);

function respond(
  kind: EventKind,
  p: VerifiedPrincipal,
  method = 'GET',
  path = '/models',
  responseMode: 'iam' | 'simple' = 'iam',
) {
  const parsed = parseEvent(apigwEvent(kind, { method, path, authorization: 'Bearer x' }));
  if (!parsed.ok) throw new Error(parsed.reason);
  const decision = authorize(p, table, method, path);
  return buildResponse({
    request: parsed.request,
    principal: p,
    decision,
    grants: table.grants(p),
    responseMode,
  });
}

describe('buildResponse', () => {
  it.each(EVENT_KINDS)(
    '%s: IAM policy with Allow = the routes the principal may call, and no Deny when no allow reaches further',
    (kind) => {
      const r = respond(kind, PRINCIPALS.alice) as IamPolicyResponse;
      const prefix = arnPrefix(kind);
      expect(r.principalId).toBe('alice');
      expect(r.policyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: [`${prefix}GET/me`, `${prefix}GET/models`, `${prefix}POST/models/sentiment/invoke`],
          },
          // Only the paths that are not canonical (common/canonical-path.ts).
          {
            Action: 'execute-api:Invoke',
            Effect: 'Deny',
            Resource: NON_CANONICAL_PATH_RESOURCES.map((g) => prefix + g),
          },
        ],
      });
    },
  );

  it.each(EVENT_KINDS)(
    '%s: Deny = the refused routes an allowed resource also matches (GET/reports/* covers .../raw)',
    (kind) => {
      const r = respond(kind, PRINCIPALS.analyst) as IamPolicyResponse;
      const prefix = arnPrefix(kind);
      expect(r.policyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'execute-api:Invoke',
            Effect: 'Allow',
            Resource: [`${prefix}GET/me`, `${prefix}GET/reports/*`],
          },
          {
            Action: 'execute-api:Invoke',
            Effect: 'Deny',
            Resource: [`${prefix}GET/reports/*/raw`, ...NON_CANONICAL_PATH_RESOURCES.map((g) => prefix + g)],
          },
        ],
      });
    },
  );

  it('the IAM response is the same whichever route the request was on (cache-safe)', () => {
    const a = respond('rest', PRINCIPALS.svc, 'GET', '/models');
    const b = respond('rest', PRINCIPALS.svc, 'POST', '/models/keywords/invoke');
    const c = respond('rest', PRINCIPALS.svc, 'GET', '/admin/reports');
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('a request on no route gets the same policy plus a deny of exactly its own ARN', () => {
    const r = respond('rest', PRINCIPALS.bob, 'GET', '/nowhere') as IamPolicyResponse;
    const deny = r.policyDocument.Statement.find((s) => s.Effect === 'Deny');
    expect(deny?.Resource).toContain(`${arnPrefix('rest')}GET/nowhere`);
  });

  it('HTTP 2.0 simple mode: isAuthorized for this route and the context', () => {
    const allowed = respond(
      'http-2.0',
      PRINCIPALS.alice,
      'POST',
      '/models/sentiment/invoke',
      'simple',
    ) as SimpleResponse;
    const denied = respond(
      'http-2.0',
      PRINCIPALS.alice,
      'POST',
      '/models/keywords/invoke',
      'simple',
    ) as SimpleResponse;
    expect(allowed).toEqual({ isAuthorized: true, context: buildContext(PRINCIPALS.alice) });
    expect(denied).toEqual({ isAuthorized: false, context: buildContext(PRINCIPALS.alice) });
  });

  it.each(['rest', 'http-1.0'] as const)('%s ignores simple mode (IAM policies only)', (kind) => {
    expect(respond(kind, PRINCIPALS.alice, 'GET', '/models', 'simple')).toHaveProperty('policyDocument');
  });

  it('context: every key of CONTEXT_KEYS, strings only', () => {
    expect(Object.keys(buildContext(PRINCIPALS.alice)).sort()).toEqual(Object.values(CONTEXT_KEYS).sort());
    expect(buildContext(PRINCIPALS.svc)).toEqual({
      [CONTEXT_KEYS.sub]: 'svc-batch-scorer',
      [CONTEXT_KEYS.username]: 'service-account-batch-scorer',
      [CONTEXT_KEYS.clientId]: 'batch-scorer',
      [CONTEXT_KEYS.issuer]: 'https://sso.example.com/realms/keygate',
      [CONTEXT_KEYS.tokenKind]: 'keycloak-service-account',
      [CONTEXT_KEYS.roles]: 'keygate-api:model-user keygate-api:model:keywords:invoke',
      [CONTEXT_KEYS.realmRoles]: '-',
      [CONTEXT_KEYS.clientRoles]: 'keygate-api:model-user keygate-api:model:keywords:invoke',
      [CONTEXT_KEYS.scopes]: 'openid profile',
      [CONTEXT_KEYS.groups]: '-',
    });
  });

  it('context values are never empty: "none" is "-", which splitList reads as no entries', () => {
    const bare = principal('s', {
      username: '',
      clientId: '',
      realmRoles: [],
      clientRoles: [],
      scopes: [],
      groups: [],
    });
    const ctx = buildContext(bare);
    for (const [k, v] of Object.entries(ctx)) expect(v.length, k).toBeGreaterThan(0);
    expect(ctx).toMatchObject({
      [CONTEXT_KEYS.username]: '-',
      [CONTEXT_KEYS.clientId]: '-',
      [CONTEXT_KEYS.roles]: '-',
      [CONTEXT_KEYS.groups]: '-',
      [CONTEXT_KEYS.scopes]: '-',
    });
    expect(splitList(ctx[CONTEXT_KEYS.groups])).toEqual([]);
    // A claim entry that is exactly "-" cannot pose as "none" next to real entries, or as an entry.
    expect(buildContext(principal('s', { groups: ['-', '/ops'] }))[CONTEXT_KEYS.groups]).toBe('/ops');
    expect(splitList('a - b')).toEqual(['a', 'b']);
  });

  it('context values are strings and bounded even for huge claims', () => {
    const huge = principal('x'.repeat(5000), {
      username: 'u\u0000\n'.repeat(3000),
      realmRoles: Array.from({ length: 2000 }, (_, i) => `role-${i}`),
      clientRoles: ['c:' + 'r'.repeat(3000)],
      scopes: Array.from({ length: 2000 }, (_, i) => `scope-${i}`),
      groups: ['with space', '/ok', 'tab\there', 'x'.repeat(2000)],
    });
    const ctx = buildContext(huge);
    for (const [k, v] of Object.entries(ctx)) {
      expect(typeof v, k).toBe('string');
      expect(v.length, k).toBeLessThanOrEqual(MAX_CONTEXT_VALUE_LENGTH);
      // eslint-disable-next-line no-control-regex
      expect(v, k).not.toMatch(/[\x00-\x1f]/);
    }
    expect(ctx[CONTEXT_KEYS.groups]).toBe('/ok');
    const r = respond('rest', huge) as IamPolicyResponse;
    expect(r.principalId.length).toBeLessThanOrEqual(MAX_CONTEXT_VALUE_LENGTH);
  });

  it.each(EVENT_KINDS)('%s: roles with `*` or `/` never reach a policy resource', (kind) => {
    const r = respond(kind, PRINCIPALS.mallory) as IamPolicyResponse;
    const allow = r.policyDocument.Statement.find((s) => s.Effect === 'Allow')?.Resource ?? [];
    // Only the route that needs no entitlement is allowed; no invoke resource at all.
    expect(allow).toEqual([`${arnPrefix(kind)}GET/me`]);
    // The only other statement denies the paths that are not canonical: no role value reaches it.
    expect(r.policyDocument.Statement).toHaveLength(2);
    expect(r.policyDocument.Statement[1]).toEqual({
      Action: 'execute-api:Invoke',
      Effect: 'Deny',
      Resource: NON_CANONICAL_PATH_RESOURCES.map((g) => arnPrefix(kind) + g),
    });
  });

  it.each([
    ['alice', 'POST', '/models/sentiment/invoke', 'Allow'],
    ['alice', 'POST', '/models/keywords/invoke', 'Deny'],
    ['bob', 'GET', '/nowhere', 'Deny'],
  ] as const)(
    'with the cache off, %s %s %s: the decision for exactly the ARN',
    (name, method, path, effect) => {
      const parsed = parseEvent(apigwEvent('rest', { method, path, authorization: 'Bearer x' }));
      if (!parsed.ok) throw new Error(parsed.reason);
      const p = PRINCIPALS[name];
      const r = buildResponse({
        request: parsed.request,
        principal: p,
        decision: authorize(p, table, method, path),
        grants: table.grants(p),
        responseMode: 'iam',
        exact: true,
      }) as IamPolicyResponse;
      expect(r).toEqual({
        principalId: p.sub,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Action: 'execute-api:Invoke', Effect: effect, Resource: [parsed.request.resourceArn] },
          ],
        },
        context: buildContext(p),
      });
    },
  );

  it('a principal allowed nothing gets a Deny of exactly the ARN', () => {
    const none = compileRoutes([
      { method: 'GET', path: '/a', auth: 'keycloak', requirement: { anyOf: { realmRoles: ['x'] } } },
    ]);
    const parsed = parseEvent(apigwEvent('rest', { method: 'GET', path: '/a', authorization: 'Bearer x' }));
    if (!parsed.ok) throw new Error(parsed.reason);
    const p = PRINCIPALS.bob;
    const r = buildResponse({
      request: parsed.request,
      principal: p,
      decision: authorize(p, none, 'GET', '/a'),
      grants: none.grants(p),
      responseMode: 'iam',
    }) as IamPolicyResponse;
    expect(r.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [parsed.request.resourceArn] },
    ]);
  });

  it("writes a resource of exactly 512 characters, API Gateway's limit", () => {
    const parsed = parseEvent(apigwEvent('rest', { method: 'GET', path: '/me', authorization: 'Bearer x' }));
    if (!parsed.ok) throw new Error(parsed.reason);
    const suffix = `GET/${'a'.repeat(512 - parsed.request.arnPrefix.length - 4)}`;
    const p = PRINCIPALS.bob;
    const r = buildResponse({
      request: parsed.request,
      principal: p,
      decision: authorize(p, table, 'GET', '/me'),
      grants: { allow: [suffix], deny: [] },
      responseMode: 'iam',
    }) as IamPolicyResponse;
    expect(r.policyDocument.Statement[0].Resource[0]).toHaveLength(512);
  });

  it.each([
    ['longer than 512 characters', `GET/${'a'.repeat(600)}`],
    ['holding a character a resource must not', 'GET/a b'],
  ])('refuses to write a resource %s', (_name, suffix) => {
    const parsed = parseEvent(apigwEvent('rest', { method: 'GET', path: '/me', authorization: 'Bearer x' }));
    if (!parsed.ok) throw new Error(parsed.reason);
    const p = PRINCIPALS.bob;
    expect(() =>
      buildResponse({
        request: parsed.request,
        principal: p,
        decision: authorize(p, table, 'GET', '/me'),
        grants: { allow: [suffix], deny: [] },
        responseMode: 'iam',
      }),
    ).toThrow('policy resource is not writable');
  });

  it('the Unauthorized error is the exact message API Gateway maps to 401', () => {
    expect(unauthorizedError().message).toBe('Unauthorized');
    expect(UNAUTHORIZED_MESSAGE).toBe('Unauthorized');
  });

  it('a principal without sub is refused (the handler turns it into a fail-closed internal error)', () => {
    expect(() => respond('rest', { ...PRINCIPALS.bob, sub: '' })).toThrow();
  });
});

describe('authorize', () => {
  it.each([
    [
      'alice',
      'POST',
      '/models/sentiment/invoke',
      { allowed: true, reason: 'allowed', route: 'POST /models/{modelId}/invoke' },
    ],
    [
      'alice',
      'POST',
      '/models/keywords/invoke',
      { allowed: false, reason: 'route_forbidden', route: 'POST /models/{modelId}/invoke' },
    ],
    ['bob', 'GET', '/me', { allowed: true, reason: 'allowed', route: 'GET /me' }],
    ['bob', 'GET', '/nowhere', { allowed: false, reason: 'route_unknown', route: undefined }],
    [
      'admin',
      'GET',
      '/machine/models',
      { allowed: false, reason: 'route_unknown', route: 'GET /machine/models' },
    ],
    ['admin', 'GET', '/files/a/b', { allowed: true, reason: 'allowed', route: 'GET /files/{path+}' }],
    ['bob', 'GET', '/models/', { allowed: false, reason: 'path_not_canonical' }],
    ['alice', 'GET', '/%6De', { allowed: false, reason: 'path_not_canonical' }],
    ['alice', 'GET', '/me/', { allowed: false, reason: 'path_not_canonical' }],
    ['alice', 'GET', '//me', { allowed: false, reason: 'path_not_canonical' }],
    ['alice', 'GET', '/x/../me', { allowed: false, reason: 'path_not_canonical' }],
  ] as const)('%s %s %s', (name, method, path, expected) => {
    expect(authorize(PRINCIPALS[name], table, method, path)).toEqual(expected);
  });

  it('memoizes grants per principal object and matches a path to its route', () => {
    const t = compileRoutes(ROUTES);
    expect(t.grants(PRINCIPALS.alice)).toBe(t.grants(PRINCIPALS.alice));
    expect(t.match('GET', '/models')?.route).toBe(
      ROUTES.find((r) => r.method === 'GET' && r.path === '/models'),
    );
    expect(t.match('GET', '/nope')).toBeUndefined();
  });
});
