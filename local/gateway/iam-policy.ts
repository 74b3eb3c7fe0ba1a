/**
 * Evaluates a Lambda authorizer's IAM policy against the method or route ARN of the request, as API
 * Gateway does: an explicit Deny wins, then an Allow, else an implicit deny. Resources are IAM globs:
 * `*` matches any run of characters and `?` exactly one, `/` included for both.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */

export type PolicyEffect = 'allow' | 'deny' | 'implicit-deny';

export class InvalidAuthorizerResponse extends Error {}

interface Statement {
  readonly Effect?: unknown;
  readonly Action?: unknown;
  readonly Resource?: unknown;
}

function list(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  throw new InvalidAuthorizerResponse('policy statement field is not a string or list of strings');
}

/**
 * IAM's glob: `*` any run of characters, `?` exactly one, everything else literally (case-sensitive, as
 * resource ARNs are). The classic two-pointer match: on a mismatch, the last `*` takes one more character.
 */
export function iamGlobMatches(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === value[v]))) {
      p++;
      v++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = v;
    } else if (star >= 0) {
      p = star + 1;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** IAM compares action names without regard to case. */
function actionMatches(action: string): boolean {
  return iamGlobMatches(action.toLowerCase(), 'execute-api:invoke');
}

/** Throws InvalidAuthorizerResponse unless every statement is well formed (checked before caching). */
export function validatePolicy(policyDocument: unknown): void {
  if (typeof policyDocument !== 'object' || policyDocument === null) {
    throw new InvalidAuthorizerResponse('policyDocument is missing');
  }
  const raw = (policyDocument as { Statement?: unknown }).Statement;
  for (const s of (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Statement[]) {
    if (typeof s !== 'object' || s === null)
      throw new InvalidAuthorizerResponse('policy statement is not an object');
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
      throw new InvalidAuthorizerResponse('policy Effect is invalid');
    list(s.Action);
    list(s.Resource);
  }
}

/** Throws InvalidAuthorizerResponse for a shape API Gateway would reject with a 500. */
export function evaluatePolicy(policyDocument: unknown, resourceArn: string): PolicyEffect {
  if (typeof policyDocument !== 'object' || policyDocument === null) {
    throw new InvalidAuthorizerResponse('policyDocument is missing');
  }
  const raw = (policyDocument as { Statement?: unknown }).Statement;
  const statements = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]) as Statement[];
  let allowed = false;
  for (const s of statements) {
    if (typeof s !== 'object' || s === null)
      throw new InvalidAuthorizerResponse('policy statement is not an object');
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
      throw new InvalidAuthorizerResponse('policy Effect is invalid');
    if (!list(s.Action).some(actionMatches)) continue;
    if (!list(s.Resource).some((r) => iamGlobMatches(r, resourceArn))) continue;
    if (s.Effect === 'Deny') return 'deny';
    allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}
