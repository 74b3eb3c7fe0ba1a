/**
 * The access matrix of a stage: for each route, its requirement and who reaches it — the realm roles,
 * client roles, scopes and groups it names, the stage's test users and service accounts that meet it (per
 * model, when the requirement binds `{modelId}`), and the IAM principals granted it. Computed with the
 * same route model the authorizer decides with (meetsRequirement), so it cannot disagree with it.
 */
import type { StageConfig } from '../common/app-config';
import type { Entitlements, Principal, Requirement } from '../common/route-model';
import { boundParams, meetsRequirement, routeKey } from '../common/route-model';

/** The IAM principal the local gateway signs as, granted every IAM route of the stage. */
export const LOCAL_MACHINE_ROLE = 'keygate-local-machine';

export interface RouteAccess {
  readonly route: string;
  readonly auth: string;
  readonly requirement: readonly string[];
  /** Who meets the requirement: `alice`, `service-account-batch-scorer`, per bound value when bound. */
  readonly callers: readonly string[];
  readonly iamPrincipals: readonly string[];
}

const KINDS: readonly (keyof Entitlements)[] = ['realmRoles', 'clientRoles', 'scopes', 'groups'];
const LABEL: Record<keyof Entitlements, string> = {
  realmRoles: 'realm role',
  clientRoles: 'client role',
  scopes: 'scope',
  groups: 'group',
};

function describeSet(set: Entitlements | undefined): string[] {
  const out: string[] = [];
  for (const kind of KINDS) for (const v of set?.[kind] ?? []) out.push(`${LABEL[kind]} ${v}`);
  return out;
}

/** One line per entitlement: `any of:`, `  realm role model-user`, `  client role keygate-api:model-user`. */
export function describeRequirement(requirement: Requirement | undefined): string[] {
  // A scoped requirement says whose tokens may meet it.
  const scope = requirement?.issuers ? [`issued by: ${requirement.issuers.join(' or ')}`] : [];
  if (!requirement || (!requirement.allOf && !requirement.anyOf)) return ['any valid token', ...scope];
  const lines: string[] = [];
  const all = describeSet(requirement.allOf);
  const any = describeSet(requirement.anyOf);
  if (all.length) lines.push('all of:', ...all.map((e) => `  ${e}`));
  if (any.length) lines.push('any of:', ...any.map((e) => `  ${e}`));
  return [...lines, ...scope];
}

interface NamedPrincipal {
  readonly name: string;
  readonly principal: Principal;
}

/** The stage's test users and service accounts as the authorizer would see them (Keycloak default scopes). */
export function stagePrincipals(stage: StageConfig): NamedPrincipal[] {
  const kc = stage.keycloak;
  return [
    ...(kc.testUsers ?? []).map((u) => ({
      name: u.username,
      principal: {
        sub: u.username,
        // Test users and service accounts live in the stage's realm.
        issuer: kc.issuer,
        realmRoles: [...u.realmRoles],
        clientRoles: [],
        scopes: ['openid', 'profile', 'email'],
        groups: [],
      },
    })),
    ...(kc.serviceAccounts ?? []).map((sa) => ({
      name: `service-account-${sa.clientId}`,
      principal: {
        sub: sa.clientId,
        issuer: kc.issuer,
        realmRoles: [],
        clientRoles: sa.clientRoles.map((r) => `${kc.apiClientId}:${r}`),
        scopes: ['profile', 'email'],
        groups: [],
      },
    })),
  ];
}

export function accessMatrix(stage: StageConfig): RouteAccess[] {
  const people = stagePrincipals(stage);
  return stage.routes.map((r) => {
    const key = routeKey(r);
    if (r.auth === 'iam') {
      const granted = (stage.machinePrincipals ?? [])
        .filter((p) => p.routes.includes(key))
        .map((p) => p.roleArn);
      return {
        route: key,
        auth: 'AWS_IAM (SigV4)',
        requirement: ['execute-api:Invoke', 'granted to the principal'],
        callers: [],
        iamPrincipals: [...granted, `${LOCAL_MACHINE_ROLE} (local)`],
      };
    }
    if (r.auth === 'cognito-user-pool') {
      return {
        route: key,
        auth: 'Cognito user pool',
        requirement: ['signed in'],
        callers: [],
        iamPrincipals: [],
      };
    }
    const bound = boundParams(r.requirement);
    let callers: string[];
    if (bound.includes('modelId') && bound.length === 1) {
      callers = stage.models.map((m) => {
        const who = people
          .filter((p) => meetsRequirement(r.requirement, p.principal, { modelId: m.id }))
          .map((p) => p.name);
        return `${m.id}: ${who.join(', ') || 'nobody'}`;
      });
    } else if (bound.length > 0) {
      callers = [`depends on {${bound.join('}, {')}}`];
    } else {
      callers = people.filter((p) => meetsRequirement(r.requirement, p.principal)).map((p) => p.name);
    }
    return {
      route: key,
      auth: 'Keygate authorizer',
      requirement: describeRequirement(r.requirement),
      callers,
      iamPrincipals: [],
    };
  });
}

/** Lays rows out as a plain-text table (no colours: it goes to logs and READMEs too). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatAccessMatrix(rows: readonly RouteAccess[]): string {
  const out: string[][] = [];
  for (const r of rows) {
    const who = [...r.callers, ...r.iamPrincipals];
    const height = Math.max(r.requirement.length, who.length, 1);
    for (let i = 0; i < height; i++) {
      out.push([
        i === 0 ? r.route : '',
        i === 0 ? r.auth : '',
        r.requirement[i] ?? '',
        who[i] ?? (i === 0 ? 'nobody' : ''),
      ]);
    }
  }
  return formatTable(['route', 'authorization', 'requirement', 'reached by'], out);
}
