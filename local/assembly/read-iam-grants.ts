/**
 * `execute-api:Invoke` grants of a template: which role may call which IAM route of which API, read from
 * the roles' policies (`AWS::IAM::Policy`, `::ManagedPolicy`, a role's inline `Policies`) as the
 * constructs' `grantInvoke` writes them: a resource ARN joined from the API's id and
 * `/<stage>/<METHOD>/<path>`, where `*` matches anything.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
 */
import type { Resources } from './template';
import { literal, refOf, referencedIds } from './template';

export interface InvokeGrant {
  /** Logical id of the role granted. */
  readonly role: string;
  readonly apiId: string;
  /** `GET`, or `*`. */
  readonly method: string;
  /** The path pattern of the ARN, `*` matching anything (e.g. `/models/*`). */
  readonly path: string;
}

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
}

function invokes(s: Statement): boolean {
  const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
  return s.Effect === 'Allow' && actions.some((a) => a === 'execute-api:Invoke' || a === 'execute-api:*');
}

/** The API and `/<stage>/<METHOD>/<path>` of one resource ARN, when it names an API of the template. */
function grantOf(resources: Resources, resource: unknown): Omit<InvokeGrant, 'role'> | undefined {
  const parts = (resource as { 'Fn::Join'?: [string, unknown[]] })?.['Fn::Join']?.[1];
  if (!Array.isArray(parts)) return undefined;
  const at = parts.findIndex((p) => {
    const id = refOf(p);
    const type = id ? resources[id]?.Type : undefined;
    return type === 'AWS::ApiGatewayV2::Api' || type === 'AWS::ApiGateway::RestApi';
  });
  if (at < 0) return undefined;
  const tail = parts
    .slice(at + 1)
    .map((p) => literal(p) ?? '*')
    .join('');
  const [, method, path] = /^\/[^/]*\/([^/]+)(\/.*)?$/.exec(tail) ?? [];
  if (!method) return undefined;
  return { apiId: refOf(parts[at])!, method, path: path ?? '/*' };
}

function policyDocuments(resources: Resources): { doc: unknown; roles: string[] }[] {
  const out: { doc: unknown; roles: string[] }[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') {
      out.push({ doc: p.PolicyDocument, roles: referencedIds(p.Roles) });
    } else if (r.Type === 'AWS::IAM::Role' && Array.isArray(p.Policies)) {
      for (const inline of p.Policies)
        out.push({ doc: (inline as { PolicyDocument?: unknown }).PolicyDocument, roles: [id] });
    }
  }
  return out;
}

export function readInvokeGrants(resources: Resources): InvokeGrant[] {
  const grants: InvokeGrant[] = [];
  for (const { doc, roles } of policyDocuments(resources)) {
    const statements = ((doc ?? {}) as { Statement?: unknown }).Statement;
    for (const s of (Array.isArray(statements) ? statements : [statements]) as Statement[]) {
      if (!s || !invokes(s)) continue;
      for (const resource of Array.isArray(s.Resource) ? s.Resource : [s.Resource]) {
        const grant = grantOf(resources, resource);
        if (grant) for (const role of roles) grants.push({ role, ...grant });
      }
    }
  }
  return grants;
}

/** Whether a grant covers a route: its method (or `*`) and its path pattern, `*` matching anything. */
export function grantCovers(grant: InvokeGrant, method: string, path: string): boolean {
  const pattern = new RegExp(
    `^${grant.path
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return (grant.method === '*' || grant.method === method) && pattern.test(path);
}
