import { describe, expect, it } from 'vitest';
import { parseEvent } from '../../../lambda/authorizer/parse-event';
import type { AuthRequest } from '../../../lambda/authorizer/parse-event';
import { EVENT_KINDS, apigwEvent, arnPrefix } from '../../fixtures/apigw/events';
import restBase from '../../fixtures/apigw/rest-request.json';
import http1Base from '../../fixtures/apigw/http-v1-request.json';
import http2Base from '../../fixtures/apigw/http-v2-request.json';

function parsed(event: unknown): AuthRequest {
  const r = parseEvent(event);
  if (!r.ok) throw new Error(`expected a recognised event, got ${r.reason}`);
  return r.request;
}

describe('parseEvent', () => {
  it.each([
    ['rest', restBase, 'k3yg4te001/prod/', '7d3c0f52-6a1e-4c3b-9f0e-2b8a51c4d901'],
    ['http-1.0', http1Base, 'h77p4p1v10/$default/', 'Kg9aHgLtjoEEJcw='],
    ['http-2.0', http2Base, 'h77p4p1v20/$default/', 'Kg9bJhMukoEEPiw='],
  ] as const)('recognises the %s fixture', (kind, event, apiStage, requestId) => {
    // Act
    const r = parsed(event);
    // Assess
    expect(r.kind).toBe(kind);
    expect(r.requestId).toBe(requestId);
    expect(r.method).toBe('GET');
    expect(r.path).toBe('/models');
    expect(r.arnPrefix).toBe(`arn:aws:execute-api:eu-west-1:111122223333:${apiStage}`);
    expect(r.header('authorization')).toEqual(['Bearer REPLACE']);
    expect(r.routeKey).toBe(kind === 'http-2.0' ? 'GET /models' : undefined);
  });

  it.each(EVENT_KINDS)('%s: takes method and concrete path from the method/route ARN', (kind) => {
    const r = parsed(
      apigwEvent(kind, {
        method: 'POST',
        path: '/models/sentiment/invoke',
        template: '/models/{modelId}/invoke',
      }),
    );
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/models/sentiment/invoke');
    expect(r.resourceArn).toBe(`${arnPrefix(kind)}POST/models/sentiment/invoke`);
  });

  it('REST: header names are compared without case; multi-value headers keep every value', () => {
    const r = parsed(apigwEvent('rest', { authorization: ['Bearer a', 'Bearer b'] }));
    expect(r.header('authorization')).toEqual(['Bearer a', 'Bearer b']);
  });

  it('HTTP 1.0 with multi-value headers: every value is kept', () => {
    const e = apigwEvent('http-1.0', { authorization: 'Bearer a' });
    e.multiValueHeaders = { authorization: ['Bearer a', 'Bearer b'] };
    expect(parsed(e).header('authorization')).toEqual(['Bearer a', 'Bearer b']);
  });

  it('REST: the same header under two spellings counts as two values', () => {
    const e = apigwEvent('rest', { authorization: 'Bearer a' }) as Record<string, Record<string, unknown>>;
    delete e.multiValueHeaders;
    e.headers.authorization = 'Bearer b';
    expect(parsed(e).header('authorization')).toEqual(['Bearer a', 'Bearer b']);
  });

  it('HTTP 2.0: cookies array and raw query string (repeated parameters kept apart)', () => {
    const r = parsed(
      apigwEvent('http-2.0', { cookies: ['kg=abc', 'theme=dark'], query: { access_token: ['x', 'y'] } }),
    );
    expect(r.cookies()).toEqual(['kg=abc', 'theme=dark']);
    expect(r.query('access_token')).toEqual(['x', 'y']);
  });

  it.each(['rest', 'http-1.0'] as const)('%s: cookies come from the Cookie header', (kind) => {
    const r = parsed(apigwEvent(kind, { cookies: ['kg=abc', 'theme=dark'] }));
    expect(r.cookies()).toEqual(['kg=abc', 'theme=dark']);
  });

  it('REST: multi-value query parameters are kept', () => {
    const r = parsed(apigwEvent('rest', { query: { access_token: ['x', 'y'] } }));
    expect(r.query('access_token')).toEqual(['x', 'y']);
  });

  const mutate = (base: object, f: (e: Record<string, unknown>) => void) => {
    const e = structuredClone(base) as Record<string, unknown>;
    f(e);
    return e;
  };

  it.each([
    ['null', null],
    ['a string', 'GET /models'],
    ['an array', [restBase]],
    [
      'a TOKEN authorizer event',
      { type: 'TOKEN', authorizationToken: 'Bearer x', methodArn: restBase.methodArn },
    ],
    ['a proxy integration event', mutate(restBase, (e) => delete e.type)],
    ['an unknown payload version', mutate(http2Base, (e) => (e.version = '3.0'))],
    [
      'version 2.0 with a methodArn only',
      mutate(http2Base, (e) => ((e.methodArn = e.routeArn), delete e.routeArn)),
    ],
    [
      'version 1.0 with a routeArn only',
      mutate(http1Base, (e) => ((e.routeArn = e.methodArn), delete e.methodArn)),
    ],
    ['no requestContext', mutate(restBase, (e) => delete e.requestContext)],
    [
      'no request id',
      mutate(restBase, (e) => delete (e.requestContext as Record<string, unknown>).requestId),
    ],
    [
      'an ARN of another service',
      mutate(restBase, (e) => (e.methodArn = 'arn:aws:lambda:eu-west-1:111122223333:function:x')),
    ],
    ['an ARN with a wildcard', mutate(restBase, (e) => (e.methodArn = `${arnPrefix('rest')}GET/models/*`))],
    [
      'an ARN with a question mark',
      mutate(restBase, (e) => (e.methodArn = `${arnPrefix('rest')}GET/mod?ls`)),
    ],
    [
      'an ARN with a lower-case method',
      mutate(restBase, (e) => (e.methodArn = `${arnPrefix('rest')}get/models`)),
    ],
    [
      'an ARN stage with a wildcard',
      mutate(
        restBase,
        (e) => (e.methodArn = 'arn:aws:execute-api:eu-west-1:111122223333:k3yg4te001/*/GET/models'),
      ),
    ],
    [
      'an oversize ARN',
      mutate(restBase, (e) => (e.methodArn = `${arnPrefix('rest')}GET/${'a'.repeat(1700)}`)),
    ],
    [
      'headers that are not strings',
      mutate(restBase, (e) => ((e.headers as Record<string, unknown>).Authorization = ['x'])),
    ],
    [
      'multi-value headers that are not lists',
      mutate(restBase, (e) => ((e.multiValueHeaders as Record<string, unknown>).Authorization = 'x')),
    ],
    [
      'HTTP 2.0 without requestContext.http',
      mutate(http2Base, (e) => delete (e.requestContext as Record<string, unknown>).http),
    ],
    ['HTTP 2.0 without routeKey', mutate(http2Base, (e) => delete e.routeKey)],
    ['HTTP 2.0 with cookies that are not strings', mutate(http2Base, (e) => (e.cookies = [1]))],
    ['REST without httpMethod', mutate(restBase, (e) => delete e.httpMethod)],
  ])('refuses %s as event_unrecognized', (_name, event) => {
    const r = parseEvent(event);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('event_unrecognized');
  });

  it('keeps the request id of an unrecognised event for the log', () => {
    const r = parseEvent(mutate(http2Base, (e) => (e.version = '9')));
    expect(r).toMatchObject({ ok: false, requestId: 'Kg9bJhMukoEEPiw=' });
  });
});
