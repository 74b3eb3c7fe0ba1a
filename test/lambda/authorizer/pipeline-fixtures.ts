/**
 * Shared pieces of the pipeline tests: a route table with every requirement kind (including a per-model
 * bound route), principals with known entitlements, an in-memory verifier keyed by token, an IAM policy
 * evaluator, and a log recorder.
 */
import type { AuthorizerConfig } from '../../../common/authorizer-config';
import type { RouteSpec } from '../../../common/route-model';
import type { DecisionLine, DecisionLog } from '../../../lambda/authorizer/decision-log';
import type { TokenVerifier, VerifiedPrincipal, VerifyResult } from '../../../lambda/authorizer/types';
import type { PolicyStatement } from '../../../lambda/authorizer/build-response';

export const ROUTES: readonly RouteSpec[] = [
  { method: 'GET', path: '/me', auth: 'keycloak' },
  {
    method: 'GET',
    path: '/models',
    auth: 'keycloak',
    requirement: { anyOf: { realmRoles: ['model-user'], clientRoles: ['keygate-api:model-user'] } },
  },
  {
    method: 'POST',
    path: '/models/{modelId}/invoke',
    auth: 'keycloak',
    requirement: {
      anyOf: { realmRoles: ['model:{modelId}:invoke'], clientRoles: ['keygate-api:model:{modelId}:invoke'] },
    },
  },
  {
    method: 'GET',
    path: '/admin/reports',
    auth: 'keycloak',
    requirement: { allOf: { realmRoles: ['admin'], scopes: ['reports:read'] } },
  },
  { method: 'DELETE', path: '/cache/{key}', auth: 'keycloak', requirement: { anyOf: { groups: ['/ops'] } } },
  {
    method: 'GET',
    path: '/files/{path+}',
    auth: 'keycloak',
    requirement: { allOf: { realmRoles: ['files'] } },
  },
  // `GET/reports/*` also covers `GET/reports/x/raw`: only the Deny keeps a cached analyst policy off it.
  {
    method: 'GET',
    path: '/reports/{reportId}',
    auth: 'keycloak',
    requirement: { anyOf: { realmRoles: ['analyst', 'admin'] } },
  },
  {
    method: 'GET',
    path: '/reports/{reportId}/raw',
    auth: 'keycloak',
    requirement: { allOf: { realmRoles: ['admin'] } },
  },
  { method: 'GET', path: '/machine/models', auth: 'iam' },
];

export const ISSUER = 'https://sso.example.com/realms/keygate';

export function config(overrides: Partial<AuthorizerConfig> = {}): AuthorizerConfig {
  return {
    version: 1,
    issuers: [{ kind: 'keycloak', issuer: ISSUER, allowedClients: ['keygate-web', 'batch-scorer'] }],
    routes: ROUTES,
    ...overrides,
  };
}

export function principal(sub: string, p: Partial<VerifiedPrincipal> = {}): VerifiedPrincipal {
  return {
    sub,
    username: p.username ?? sub,
    clientId: p.clientId ?? 'keygate-web',
    issuer: ISSUER,
    tokenKind: p.tokenKind ?? 'keycloak-user',
    expiresAt: Math.floor(Date.now() / 1000) + 300,
    realmRoles: p.realmRoles ?? [],
    clientRoles: p.clientRoles ?? [],
    scopes: p.scopes ?? ['openid', 'profile'],
    groups: p.groups ?? [],
    ...(p.issuedAt !== undefined ? { issuedAt: p.issuedAt } : {}),
    ...(p.sessionId !== undefined ? { sessionId: p.sessionId } : {}),
  };
}

export const PRINCIPALS: Readonly<Record<string, VerifiedPrincipal>> = {
  alice: principal('alice', { realmRoles: ['model-user', 'model:sentiment:invoke'], groups: ['/staff'] }),
  bob: principal('bob', { realmRoles: ['model-user'] }),
  svc: principal('svc-batch-scorer', {
    username: 'service-account-batch-scorer',
    clientId: 'batch-scorer',
    tokenKind: 'keycloak-service-account',
    clientRoles: ['keygate-api:model-user', 'keygate-api:model:keywords:invoke'],
  }),
  admin: principal('admin', {
    realmRoles: ['admin', 'files'],
    scopes: ['openid', 'reports:read'],
    groups: ['/ops'],
  }),
  mallory: principal('mallory', {
    realmRoles: [
      'model:*:invoke',
      'model:a/b:invoke',
      '*',
      'model:sentiment/../x:invoke',
      'model:?:invoke',
      'admin*',
    ],
    clientRoles: ['keygate-api:model:*:invoke', 'keygate-api:model:x/y:invoke'],
    groups: ['/o*', '*'],
    scopes: ['reports:*', '*'],
  }),
  analyst: principal('analyst', { realmRoles: ['analyst'] }),
  nobody: principal('nobody'),
};

/** Concrete requests: method, path, and for each principal whether it may call it. */
export const REQUESTS: readonly { method: string; path: string; allowed: readonly string[] }[] = [
  { method: 'GET', path: '/me', allowed: ['alice', 'bob', 'svc', 'admin', 'mallory', 'analyst', 'nobody'] },
  { method: 'GET', path: '/reports/q3', allowed: ['admin', 'analyst'] },
  { method: 'GET', path: '/reports/q3/raw', allowed: ['admin'] },
  { method: 'GET', path: '/models', allowed: ['alice', 'bob', 'svc'] },
  { method: 'POST', path: '/models/sentiment/invoke', allowed: ['alice'] },
  { method: 'POST', path: '/models/keywords/invoke', allowed: ['svc'] },
  { method: 'POST', path: '/models/other/invoke', allowed: [] },
  { method: 'POST', path: '/models/a/b/invoke', allowed: [] },
  { method: 'GET', path: '/admin/reports', allowed: ['admin'] },
  { method: 'DELETE', path: '/cache/abc', allowed: ['admin'] },
  { method: 'GET', path: '/files/a/b/c.txt', allowed: ['admin'] },
  { method: 'GET', path: '/nowhere', allowed: [] },
  { method: 'GET', path: '/machine/models', allowed: [] },
  { method: 'GET', path: '/models/sentiment/invoke', allowed: [] },
  // Not canonical (common/canonical-path.ts): API Gateway may route them to `/models` or
  // `/admin/reports`; refused fresh (401) and by every cached policy.
  { method: 'GET', path: '/models/', allowed: [] },
  { method: 'GET', path: '/admin/%72eports', allowed: [] },
  { method: 'GET', path: '/reports/q3/raw/', allowed: [] },
];

/** A verifier that knows a fixed set of tokens; like the verified-claims cache, it returns one object per token. */
export function tableVerifier(
  byToken: Readonly<Record<string, VerifiedPrincipal>>,
): TokenVerifier & { calls: number } {
  const v = {
    calls: 0,
    async verify(token: string): Promise<VerifyResult> {
      v.calls++;
      const p = Object.prototype.hasOwnProperty.call(byToken, token) ? byToken[token] : undefined;
      if (!p) return { ok: false, reason: 'signature_invalid', facts: { iss: ISSUER, kid: 'k1' } };
      return {
        ok: true,
        principal: p,
        facts: { iss: ISSUER, kid: 'k1', sub: p.sub, azp: p.clientId, alg: 'RS256' },
        cached: v.calls > 1,
      };
    },
  };
  return v;
}

export class RecordingLog implements DecisionLog {
  readonly lines: DecisionLine[] = [];
  readonly jwks: { issuer: string; reason: string }[] = [];
  readonly configErrors: (readonly string[])[] = [];
  decision(line: DecisionLine): void {
    this.lines.push(line);
  }
  jwksFailure(issuer: string, reason: string): void {
    this.jwks.push({ issuer, reason });
  }
  configInvalid(errors: readonly string[]): void {
    this.configErrors.push(errors);
  }
}

/** IAM glob: `*` is any run of characters (slashes included), `?` any one character. */
export function iamGlob(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = v;
    } else if (star !== -1) {
      p = star + 1;
      v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** How API Gateway evaluates an authorizer policy for a method ARN: explicit Deny wins, then Allow, else deny. */
export function evaluatePolicy(statements: readonly PolicyStatement[], arn: string): 'allow' | 'deny' {
  let allowed = false;
  for (const s of statements) {
    if (s.Action !== 'execute-api:Invoke') continue;
    const hit = s.Resource.some((r) => iamGlob(r, arn));
    if (hit && s.Effect === 'Deny') return 'deny';
    if (hit && s.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'deny';
}
