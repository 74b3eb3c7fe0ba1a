/**
 * The URL a DPoP proof's `htu` must name: https on API Gateway's domains (a named stage in the path on an
 * execute-api domain), http on the local gateway's loopback host, the configured base URL when given.
 */
import { describe, expect, it } from 'vitest';
import type { AuthRequest } from '../../../lambda/authorizer/parse-event';
import { requestUrl } from '../../../lambda/authorizer/token-binding';

const at = (domainName: string | undefined, stage = 'prod') =>
  ({ path: '/me', domainName, stage }) as unknown as AuthRequest;

describe('requestUrl', () => {
  it.each([
    [
      'an execute-api domain, named stage',
      at('abc.execute-api.eu-west-1.amazonaws.com'),
      undefined,
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod/me',
    ],
    [
      'an execute-api domain, $default stage',
      at('abc.execute-api.eu-west-1.amazonaws.com', '$default'),
      undefined,
      'https://abc.execute-api.eu-west-1.amazonaws.com/me',
    ],
    ['a custom domain', at('api.example.com'), undefined, 'https://api.example.com/me'],
    ['the local gateway on 127.0.0.1', at('127.0.0.1:4010'), undefined, 'http://127.0.0.1:4010/me'],
    ['the local gateway on localhost', at('localhost:4010'), undefined, 'http://localhost:4010/me'],
    [
      'a host that only starts like a loopback one',
      at('127.0.0.1.example.com'),
      undefined,
      'https://127.0.0.1.example.com/me',
    ],
    [
      'a configured base URL',
      at('127.0.0.1:4010'),
      'https://api.example.com/v1',
      'https://api.example.com/v1/me',
    ],
    ['no domain', at(undefined), undefined, undefined],
  ])('%s', (_name, request, base, expected) => {
    expect(requestUrl(request, base)).toBe(expected);
  });
});
