/**
 * The handler with `tokenSource.cookie`: a token read from the cookie rides along with every request the
 * browser makes, cross-site form posts included, so it needs the same same-origin proof as a browser
 * session (403 csrf_rejected otherwise). A bearer token in the header is not affected.
 */
import { describe, expect, it } from 'vitest';
import type { AuthorizerConfig } from '../../../common/authorizer-config';
import type { IamPolicyResponse, SimpleResponse } from '../../../lambda/authorizer/build-response';
import { createHandler } from '../../../lambda/authorizer/handler';
import type { EventKind, EventOptions } from '../../fixtures/apigw/events';
import { apigwEvent, methodArn } from '../../fixtures/apigw/events';
import { PRINCIPALS, RecordingLog, config, evaluatePolicy, tableVerifier } from './pipeline-fixtures';

const TOKENS = Object.fromEntries(Object.entries(PRINCIPALS).map(([n, p]) => [`tok.${n}.sig`, p]));
const KINDS: readonly EventKind[] = ['rest', 'http-1.0', 'http-2.0'];
const INVOKE = '/models/sentiment/invoke';
const CROSS_SITE = { Origin: ['https://evil.example'], 'Sec-Fetch-Site': ['cross-site'] };
/** The fixtures' own hosts (requestContext.domainName); the HTTP 1.0 fixture carries none. */
const OWN: Record<EventKind, Record<string, string[]>> = {
  rest: { Origin: ['https://k3yg4te001.execute-api.eu-west-1.amazonaws.com'] },
  'http-1.0': { 'Sec-Fetch-Site': ['same-origin'] },
  'http-2.0': { Origin: ['https://h77p4p1v20.execute-api.eu-west-1.amazonaws.com'] },
};

function setup(overrides: Partial<AuthorizerConfig> = {}) {
  const log = new RecordingLog();
  const handler = createHandler({
    config: {
      ok: true,
      config: config({ tokenSource: { cookie: 'access_token' }, ...overrides }),
    },
    createVerifier: () => tableVerifier(TOKENS),
    log,
  });
  return { handler, log };
}

function post(kind: EventKind, o: Partial<EventOptions>): Record<string, unknown> {
  return apigwEvent(kind, { method: 'POST', path: INVOKE, template: '/models/{modelId}/invoke', ...o });
}

const denied = (kind: EventKind) => [
  { Action: 'execute-api:Invoke', Effect: 'Deny', Resource: [methodArn(kind, 'POST', INVOKE)] },
];

describe('createHandler with a token cookie', () => {
  it.each(KINDS)(
    '%s: a cross-site form POST carrying the token cookie is denied csrf_rejected',
    async (kind) => {
      const { handler, log } = setup();
      const r = (await handler(
        post(kind, { authorization: null, cookies: ['access_token=tok.alice.sig'], headers: CROSS_SITE }),
      )) as IamPolicyResponse;
      expect(r.policyDocument.Statement).toEqual(denied(kind));
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0]).toMatchObject({ decision: 'deny', reason: 'csrf_rejected' });
    },
  );

  it.each(KINDS)('%s: a same-origin POST carrying the token cookie is allowed', async (kind) => {
    const { handler, log } = setup();
    const r = (await handler(
      post(kind, { authorization: null, cookies: ['access_token=tok.alice.sig'], headers: OWN[kind] }),
    )) as IamPolicyResponse;
    expect(evaluatePolicy(r.policyDocument.Statement, methodArn(kind, 'POST', INVOKE))).toBe('allow');
    expect(log.lines[0]).toMatchObject({ decision: 'allow', reason: 'allowed' });
  });

  it.each(KINDS)('%s: a POST with no same-origin evidence at all is denied', async (kind) => {
    const { handler, log } = setup();
    const r = (await handler(
      post(kind, { authorization: null, cookies: ['access_token=tok.alice.sig'] }),
    )) as IamPolicyResponse;
    expect(r.policyDocument.Statement).toEqual(denied(kind));
    expect(log.lines[0].reason).toBe('csrf_rejected');
  });

  it.each(KINDS)('%s: a bearer header is unaffected by cross-site headers', async (kind) => {
    const { handler, log } = setup();
    const r = (await handler(
      post(kind, { authorization: 'Bearer tok.alice.sig', headers: CROSS_SITE }),
    )) as IamPolicyResponse;
    expect(evaluatePolicy(r.policyDocument.Statement, methodArn(kind, 'POST', INVOKE))).toBe('allow');
    expect(log.lines[0]).toMatchObject({ decision: 'allow', reason: 'allowed' });
  });

  it('a safe method needs no proof', async () => {
    const { handler, log } = setup();
    const r = (await handler(
      apigwEvent('rest', { authorization: null, cookies: ['access_token=tok.bob.sig'], headers: CROSS_SITE }),
    )) as IamPolicyResponse;
    expect(evaluatePolicy(r.policyDocument.Statement, methodArn('rest', 'GET', '/models'))).toBe('allow');
    expect(log.lines[0].reason).toBe('allowed');
  });

  it('HTTP API simple responses: cross-site is not authorized, same-origin is', async () => {
    const { handler, log } = setup({ responseMode: 'simple' });
    const cookies = ['access_token=tok.alice.sig'];
    const cross = (await handler(
      post('http-2.0', { authorization: null, cookies, headers: CROSS_SITE }),
    )) as SimpleResponse;
    const same = (await handler(
      post('http-2.0', { authorization: null, cookies, headers: OWN['http-2.0'] }),
    )) as SimpleResponse;
    expect([cross.isAuthorized, same.isAuthorized]).toEqual([false, true]);
    expect(log.lines.map((l) => l.reason)).toEqual(['csrf_rejected', 'allowed']);
  });

  it('an allow for a same-origin request is never replayed to a cross-site one with the same cookie', async () => {
    const { handler, log } = setup();
    const cookies = ['access_token=tok.alice.sig'];
    const first = (await handler(
      post('rest', { authorization: null, cookies, headers: OWN.rest }),
    )) as IamPolicyResponse;
    const second = (await handler(
      post('rest', { authorization: null, cookies, headers: CROSS_SITE }),
    )) as IamPolicyResponse;
    const third = (await handler(
      post('rest', { authorization: null, cookies, headers: OWN.rest }),
    )) as IamPolicyResponse;
    const arn = methodArn('rest', 'POST', INVOKE);
    expect([first, second, third].map((r) => evaluatePolicy(r.policyDocument.Statement, arn))).toEqual([
      'allow',
      'deny',
      'allow',
    ]);
    expect(log.lines.map((l) => l.reason)).toEqual(['allowed', 'csrf_rejected', 'allowed']);
  });

  it('tokenSource.allowedOrigins admits another https origin', async () => {
    const { handler } = setup({
      tokenSource: { cookie: 'access_token', allowedOrigins: ['https://app.example.com'] },
    });
    const r = (await handler(
      post('rest', {
        authorization: null,
        cookies: ['access_token=tok.alice.sig'],
        headers: { Origin: ['https://app.example.com'], 'Sec-Fetch-Site': ['same-site'] },
      }),
    )) as IamPolicyResponse;
    expect(evaluatePolicy(r.policyDocument.Statement, methodArn('rest', 'POST', INVOKE))).toBe('allow');
  });
});
