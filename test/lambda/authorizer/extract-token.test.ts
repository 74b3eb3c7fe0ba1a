import { describe, expect, it } from 'vitest';
import { MAX_TOKEN_LENGTH, extractToken } from '../../../lambda/authorizer/extract-token';
import { inspectToken } from '../../../lambda/authorizer/inspect-token';
import { parseEvent } from '../../../lambda/authorizer/parse-event';
import type { TokenSourceConfig } from '../../../common/authorizer-config';
import type { EventKind, EventOptions } from '../../fixtures/apigw/events';
import { EVENT_KINDS, apigwEvent } from '../../fixtures/apigw/events';

const JWS = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

function extract(kind: EventKind, o: EventOptions, source?: TokenSourceConfig) {
  const p = parseEvent(apigwEvent(kind, o));
  if (!p.ok) throw new Error(p.reason);
  return extractToken(p.request, source);
}

describe.each(EVENT_KINDS)('extractToken (%s)', (kind) => {
  it.each([
    ['Bearer', `Bearer ${JWS}`],
    ['bearer', `bearer ${JWS}`],
    ['BEARER', `BEARER ${JWS}`],
    ['bEaReR with two spaces', `bEaReR  ${JWS}`],
    ['surrounding whitespace', `  Bearer ${JWS} `],
    ['a tab', `Bearer\t${JWS}`],
    ['the DPoP scheme (RFC 9449 section 7.1)', `DPoP ${JWS}`],
    ['dpop', `dpop ${JWS}`],
  ])('finds the token: %s', (_n, value) => {
    expect(extract(kind, { authorization: value })).toEqual({ ok: true, token: JWS, source: 'header' });
  });

  it.each(['Authorization', 'AUTHORIZATION', 'authorization', 'aUtHoRiZaTiOn'])('header name %s', (name) => {
    expect(extract(kind, { authorization: `Bearer ${JWS}`, authorizationHeaderName: name })).toMatchObject({
      ok: true,
      token: JWS,
    });
  });

  it.each([
    ['no header', null, 'token_missing'],
    ['an empty header', '', 'token_missing'],
    ['Basic scheme', 'Basic YWxpY2U6cGFzcw==', 'token_malformed'],
    ['no scheme', JWS, 'token_malformed'],
    ['scheme without token', 'Bearer', 'token_malformed'],
    ['scheme and space only', 'Bearer ', 'token_malformed'],
    ['two tokens in one value', `Bearer ${JWS} ${JWS}`, 'token_malformed'],
    ['Bearer glued to the token', `Bearer${JWS}`, 'token_malformed'],
    ['DPoP glued to the token', `DPoP${JWS}`, 'token_malformed'],
    ['an oversize token', `Bearer ${'a'.repeat(MAX_TOKEN_LENGTH + 1)}`, 'token_malformed'],
    ['two comma-joined values', `Bearer ${JWS}, Bearer ${JWS}`, 'token_ambiguous'],
    ['two header values', [`Bearer ${JWS}`, `Bearer ${JWS}`], 'token_ambiguous'],
  ] as const)('refuses %s', (_n, authorization, reason) => {
    expect(extract(kind, { authorization })).toEqual({ ok: false, reason });
  });

  it.each([
    ['a quote', `"${JWS}"`],
    ['a control character', `${JWS}\u0000`],
    ['b64token characters outside base64url', `${JWS.slice(0, -4)}+/~=`],
    ['a non-ASCII character', `${JWS}\u00e9`],
  ])('hands over a credential with %s, which token inspection then refuses', (_n, credential) => {
    expect(extract(kind, { authorization: `Bearer ${credential}` })).toEqual({
      ok: true,
      token: credential,
      source: 'header',
    });
    expect(inspectToken(credential)).toMatchObject({ ok: false, reason: 'token_malformed' });
  });

  it('uses a configured header name', () => {
    const o = { authorization: null, headers: { 'X-Keygate-Token': [`Bearer ${JWS}`] } };
    expect(extract(kind, o, { header: 'X-Keygate-Token' })).toMatchObject({ ok: true, token: JWS });
    expect(extract(kind, o)).toEqual({ ok: false, reason: 'token_missing' });
  });

  it('reads a configured cookie only when the header is absent', () => {
    expect(
      extract(
        kind,
        { authorization: null, cookies: ['theme=dark', `kg_token=${JWS}`] },
        { cookie: 'kg_token' },
      ),
    ).toEqual({
      ok: true,
      token: JWS,
      source: 'cookie',
    });
    // Not configured: ignored.
    expect(extract(kind, { authorization: null, cookies: [`kg_token=${JWS}`] })).toEqual({
      ok: false,
      reason: 'token_missing',
    });
  });

  it.each([
    ['the same cookie twice', { authorization: null, cookies: [`kg_token=${JWS}`, `kg_token=${JWS}`] }],
    ['a header and a cookie', { authorization: `Bearer ${JWS}`, cookies: [`kg_token=${JWS}`] }],
    [
      'a cookie and a query parameter',
      { authorization: null, cookies: [`kg_token=${JWS}`], query: { access_token: [JWS] } },
    ],
    ['the query parameter twice', { authorization: null, query: { access_token: [JWS, JWS] } }],
  ])('two tokens are ambiguous: %s', (_n, o) => {
    expect(extract(kind, o, { cookie: 'kg_token', query: 'access_token' })).toEqual({
      ok: false,
      reason: 'token_ambiguous',
    });
  });

  it('reads a configured query parameter', () => {
    expect(
      extract(kind, { authorization: null, query: { access_token: [JWS] } }, { query: 'access_token' }),
    ).toEqual({
      ok: true,
      token: JWS,
      source: 'query',
    });
  });

  it('a malformed cookie token is malformed, not missing', () => {
    expect(extract(kind, { authorization: null, cookies: ['kg_token=a b'] }, { cookie: 'kg_token' })).toEqual(
      {
        ok: false,
        reason: 'token_malformed',
      },
    );
  });

  it('a cookie whose name only starts like the configured one is not it', () => {
    expect(
      extract(kind, { authorization: null, cookies: [`kg_token_old=${JWS}`] }, { cookie: 'kg_token' }),
    ).toEqual({
      ok: false,
      reason: 'token_missing',
    });
  });
});
