/**
 * buildResponse's edges, pinned exactly: the usage-tier key on an answer for exactly the request's ARN,
 * and the policy written beforehand (RouteTable.policy) answered as it is, except on a request on no route,
 * whose own ARN it must deny. Written for the mutants of lambda/authorizer/build-response.ts the other
 * tests let through (docs/security-testing.md).
 */
import { describe, expect, it } from 'vitest';
import { authorize, compileRoutes } from '../../../lambda/authorizer/authorize';
import type { IamPolicyResponse } from '../../../lambda/authorizer/build-response';
import { buildContext, buildPolicy, buildResponse } from '../../../lambda/authorizer/build-response';
import { parseEvent } from '../../../lambda/authorizer/parse-event';
import { apigwEvent } from '../../fixtures/apigw/events';
import { PRINCIPALS, ROUTES } from './pipeline-fixtures';

const table = compileRoutes(ROUTES);

function request(method: string, path: string) {
  const parsed = parseEvent(apigwEvent('rest', { method, path, authorization: 'Bearer x' }));
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.request;
}

describe('buildResponse with the cache off (exact)', () => {
  it.each([
    [
      'with a usage-tier key, the answer carries it',
      'tier-key',
      ['principalId', 'policyDocument', 'context', 'usageIdentifierKey'],
    ],
    [
      'without one, the answer has no usageIdentifierKey member at all',
      undefined,
      ['principalId', 'policyDocument', 'context'],
    ],
  ] as const)('%s', (_name, usageKey, keys) => {
    const p = PRINCIPALS.alice;
    const req = request('POST', '/models/sentiment/invoke');
    const r = buildResponse({
      request: req,
      principal: p,
      decision: authorize(p, table, 'POST', '/models/sentiment/invoke'),
      grants: { allow: [], deny: [] },
      responseMode: 'iam',
      exact: true,
      ...(usageKey !== undefined ? { usageKey } : {}),
    }) as IamPolicyResponse;
    expect(Object.keys(r)).toEqual(keys);
    expect(r.usageIdentifierKey).toBe(usageKey);
    expect(r.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [req.resourceArn] },
    ]);
  });
});

describe('buildResponse with a policy written beforehand', () => {
  it('answers that policy as it is on a request of the table', () => {
    const p = PRINCIPALS.alice;
    const req = request('GET', '/models');
    const policy = table.policy(p, req.arnPrefix);
    const r = buildResponse({
      request: req,
      principal: p,
      decision: authorize(p, table, 'GET', '/models'),
      grants: table.grants(p),
      policy,
      responseMode: 'iam',
    }) as IamPolicyResponse;
    expect(r.policyDocument).toBe(policy);
    expect(r.context).toEqual(buildContext(p));
  });

  it('on a request on no route, adds a Deny of exactly its ARN to it (never the bare policy)', () => {
    const p = PRINCIPALS.alice;
    const req = request('GET', '/nowhere');
    const policy = table.policy(p, req.arnPrefix);
    const r = buildResponse({
      request: req,
      principal: p,
      decision: authorize(p, table, 'GET', '/nowhere'),
      grants: table.grants(p),
      policy,
      responseMode: 'iam',
    }) as IamPolicyResponse;
    const deny = r.policyDocument.Statement.find((s) => s.Effect === 'Deny');
    const before = policy.Statement.find((s) => s.Effect === 'Deny');
    expect(deny?.Resource).toEqual([...(before?.Resource ?? []), req.resourceArn]);
    expect(r.policyDocument.Statement.find((s) => s.Effect === 'Allow')).toEqual(
      policy.Statement.find((s) => s.Effect === 'Allow'),
    );
  });
});

describe('buildPolicy writes only resources that are ARNs of this API', () => {
  const grants = { allow: ['GET/models'], deny: [] };
  const prefix = 'arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/';

  it('on an ARN prefix: one Allow of the prefixed resource', () => {
    expect(buildPolicy(prefix, grants).Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${prefix}GET/models`] },
    ]);
  });

  it.each([`x${prefix}`, `*${prefix}`, ` ${prefix}`])('refuses the prefix %j (fail closed)', (bad) => {
    expect(() => buildPolicy(bad, grants)).toThrow('policy resource is not writable');
  });
});
