import { describe, expect, it } from 'vitest';
import { stepUpSignInRedirect } from '../../../lambda/authorizer/session-cookie';

const NAVIGATION = { 'sec-fetch-mode': 'navigate', accept: 'text/html' };
const input = (over: object = {}) => ({
  method: 'GET',
  path: '/reports',
  rawQuery: 'q=1',
  headers: NAVIGATION,
  browserRoute: true,
  accessExpired: false,
  baseUrl: 'https://api.example.com/prod',
  ...over,
});

describe('stepUpSignInRedirect', () => {
  it.each([
    [
      'level and age',
      { acrValues: 'gold platinum', maxAge: 900 },
      'https://api.example.com/prod/auth/login?returnTo=%2Freports%3Fq%3D1&acr_values=gold%20platinum&max_age=900',
    ],
    [
      'age only',
      { maxAge: 60 },
      'https://api.example.com/prod/auth/login?returnTo=%2Freports%3Fq%3D1&max_age=60',
    ],
    [
      'a value with URL syntax, percent-encoded',
      { acrValues: 'a&b"<' },
      'https://api.example.com/prod/auth/login?returnTo=%2Freports%3Fq%3D1&acr_values=a%26b%22%3C',
    ],
  ])('asks the login route for %s', (_case, login, url) => {
    expect(stepUpSignInRedirect(input(), login)).toBe(url);
  });

  it.each([
    ['an API call', input({ headers: { 'sec-fetch-mode': 'cors', accept: 'application/json' } })],
    ['a route that is not a browser route', input({ browserRoute: false })],
    ['a POST', input({ method: 'POST' })],
  ])('gives no URL for %s', (_case, i) => {
    expect(stepUpSignInRedirect(i, { acrValues: 'gold', maxAge: 900 })).toBeUndefined();
  });
});
