import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProxyEvent, toProxyResult } from '../../../lambda/sign-in/api-event';
import { publicBaseUrl } from '../../../common/session/public-url';
import type { SignInResponse } from '../../../lambda/sign-in/sign-in';

const restEvent = {
  resource: '/auth/callback',
  path: '/auth/callback',
  httpMethod: 'GET',
  headers: {
    Cookie: 'keygate_login=abc; theme=dark',
    Host: 'k3yg4te001.execute-api.eu-west-1.amazonaws.com',
  },
  multiValueHeaders: { Cookie: ['keygate_login=abc; theme=dark'] },
  queryStringParameters: { code: 'c0de', state: 'st' },
  requestContext: { domainName: 'k3yg4te001.execute-api.eu-west-1.amazonaws.com', stage: 'prod' },
};

const httpEvent = {
  version: '2.0',
  routeKey: 'GET /auth/login',
  rawPath: '/prod/auth/login',
  rawQueryString: 'returnTo=%2Fme',
  cookies: ['theme=dark', 'keygate_session=1~x'],
  queryStringParameters: { returnTo: '/me' },
  requestContext: {
    domainName: 'h77p4p1v20.execute-api.eu-west-1.amazonaws.com',
    stage: 'prod',
    http: { method: 'GET' },
  },
};

const res: SignInResponse = {
  status: 302,
  headers: { location: 'https://x/' },
  cookies: ['a=1; Path=/', 'b=2; Path=/'],
  body: '',
  reason: 'signed_in',
};

describe('proxy events', () => {
  it('reads a REST proxy event: resource path, query, Cookie header, stage in the base URL', () => {
    const parsed = parseProxyEvent(restEvent);
    expect(parsed?.kind).toBe('v1');
    expect(parsed?.request).toMatchObject({
      method: 'GET',
      path: '/auth/callback',
      query: { code: 'c0de', state: 'st' },
      baseUrl: 'https://k3yg4te001.execute-api.eu-west-1.amazonaws.com/prod',
    });
    expect(parsed?.request.cookies.get('keygate_login')).toBe('abc');
  });

  it('reads an HTTP API payload 2.0 event: the route key path (not rawPath with the stage), the cookies array', () => {
    const parsed = parseProxyEvent(httpEvent);
    expect(parsed?.kind).toBe('v2');
    expect(parsed?.request).toMatchObject({
      path: '/auth/login',
      query: { returnTo: '/me' },
      baseUrl: 'https://h77p4p1v20.execute-api.eu-west-1.amazonaws.com/prod',
    });
    expect(parsed?.request.cookies.get('keygate_session')).toBe('1~x');
  });

  it('hands the core every header with a lower-cased name, repeated values joined (REST and HTTP API)', () => {
    const rest = parseProxyEvent({
      ...restEvent,
      httpMethod: 'POST',
      headers: { ...restEvent.headers, Origin: 'https://b.example', 'Sec-Fetch-Site': 'same-origin' },
      multiValueHeaders: {
        ...restEvent.multiValueHeaders,
        Origin: ['https://a.example', 'https://b.example'],
      },
    });
    expect(rest?.request.headers).toMatchObject({
      origin: 'https://a.example, https://b.example',
      'sec-fetch-site': 'same-origin',
      host: 'k3yg4te001.execute-api.eu-west-1.amazonaws.com',
    });
    const http = parseProxyEvent({
      ...httpEvent,
      headers: { origin: 'https://a.example', 'x-keygate-csrf': '1' },
    });
    expect(http?.request.headers).toEqual({ origin: 'https://a.example', 'x-keygate-csrf': '1' });
  });

  it('uses the configured public base URL over the request host (custom domains)', () => {
    expect(parseProxyEvent(httpEvent, 'https://api.example.com')?.request.baseUrl).toBe(
      'https://api.example.com',
    );
  });

  it.each([
    [null],
    ['string'],
    [{}],
    [{ ...httpEvent, routeKey: '$default' }],
    [{ ...httpEvent, requestContext: { ...httpEvent.requestContext, domainName: 'evil.example/../x' } }],
    [{ ...restEvent, httpMethod: undefined }],
  ])('refuses the event %#', (event) => {
    expect(parseProxyEvent(event)).toBeUndefined();
  });

  it('writes Set-Cookie as multiValueHeaders for REST and as cookies for HTTP API 2.0', () => {
    expect(toProxyResult(res, 'v1')).toEqual({
      statusCode: 302,
      headers: { location: 'https://x/' },
      multiValueHeaders: { 'Set-Cookie': ['a=1; Path=/', 'b=2; Path=/'] },
      body: '',
    });
    expect(toProxyResult(res, 'v2')).toEqual({
      statusCode: 302,
      headers: { location: 'https://x/' },
      cookies: ['a=1; Path=/', 'b=2; Path=/'],
      body: '',
    });
  });
});

describe('parseProxyEvent under arbitrary input', () => {
  it('never throws, and any request it builds has an absolute https base URL and a path', () => {
    fc.assert(
      fc.property(fc.anything(), fc.string(), fc.string(), (junk, domain, stage) => {
        const events = [
          junk,
          { ...httpEvent, requestContext: { ...httpEvent.requestContext, domainName: domain, stage } },
          {
            ...restEvent,
            requestContext: { domainName: domain, stage },
            headers: junk,
            multiValueHeaders: junk,
          },
          { ...httpEvent, cookies: junk, queryStringParameters: junk },
        ];
        for (const e of events) {
          const parsed = parseProxyEvent(e);
          if (parsed) {
            expect(parsed.request.baseUrl).toMatch(/^https:\/\/[A-Za-z0-9.-]+(:\d+)?(\/[A-Za-z0-9_-]+)?$/);
            expect(typeof parsed.request.path).toBe('string');
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('publicBaseUrl', () => {
  it.each([
    [
      'abc.execute-api.eu-west-1.amazonaws.com',
      'prod',
      undefined,
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
    ],
    [
      'abc.execute-api.eu-west-1.amazonaws.com',
      '$default',
      undefined,
      'https://abc.execute-api.eu-west-1.amazonaws.com',
    ],
    ['api.example.com', 'prod', undefined, 'https://api.example.com'],
    [
      'abc.execute-api.eu-west-1.amazonaws.com',
      'prod',
      'https://api.example.com/v1',
      'https://api.example.com/v1',
    ],
    // The local gateway (loopback, plain http); a name merely starting with 127. or localhost is not.
    ['127.0.0.1:8080', '$default', undefined, 'http://127.0.0.1:8080'],
    ['localhost:8081', 'prod', undefined, 'http://localhost:8081'],
    ['127.0.0.1.example.com', 'prod', undefined, 'https://127.0.0.1.example.com'],
    ['localhost.example.com', 'prod', undefined, 'https://localhost.example.com'],
    ['bad host/../', 'prod', undefined, undefined],
    [undefined, 'prod', undefined, undefined],
  ])('%s stage %s override %s → %s', (domain, stage, override, expected) => {
    expect(publicBaseUrl(domain, stage, override)).toBe(expected);
  });
});
