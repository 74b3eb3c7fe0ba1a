/**
 * A test browser: one tough-cookie jar across the identity provider (real HTTPS requests) and the sign-in
 * core (called in-process as API Gateway would call the function), so cookie scoping, flags and deletion
 * behave as in a browser.
 */
import { CookieJar } from 'tough-cookie';
import { parseCookies } from '../../../common/session/cookies';
import type { SignInHandler, SignInResponse } from '../../../lambda/sign-in/sign-in';
import { postForm, request } from '../../../local/http/request';
import type { Response } from '../../../local/http/request';

export class TestBrowser {
  readonly jar = new CookieJar();
  constructor(
    private readonly ca: string | undefined,
    readonly appBase: string,
  ) {}

  private async store(url: string, setCookies: readonly string[] | string | undefined): Promise<void> {
    const list = setCookies === undefined ? [] : Array.isArray(setCookies) ? setCookies : [setCookies];
    for (const c of list) await this.jar.setCookie(c, url);
  }

  /** A real HTTP request to the identity provider, cookies kept. */
  async idp(url: string, form?: Record<string, string>): Promise<Response> {
    const cookie = await this.jar.getCookieString(url);
    const headers: Record<string, string> = cookie ? { cookie } : {};
    const res = form
      ? await postForm(url, form, { ca: this.ca, headers })
      : await request(url, { ca: this.ca, headers });
    await this.store(url, res.headers['set-cookie']);
    return res;
  }

  /** The headers a browser sends with a form posted from a page of the app itself. */
  get sameOriginForm(): Record<string, string> {
    return {
      origin: new URL(this.appBase).origin,
      'sec-fetch-site': 'same-origin',
      'sec-fetch-mode': 'navigate',
      accept: 'text/html,application/xhtml+xml',
    };
  }

  /** A call to the sign-in core at `path?query` on the app, cookies kept; header names in lower case. */
  async app(
    handle: SignInHandler,
    pathAndQuery: string,
    method = 'GET',
    headers: Readonly<Record<string, string>> = {},
  ): Promise<SignInResponse> {
    const url = new URL(pathAndQuery, this.appBase + '/');
    const cookieString = await this.jar.getCookieString(url.href);
    const res = await handle({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      cookies: parseCookies(cookieString ? [cookieString] : []),
      headers,
      baseUrl: this.appBase,
    });
    await this.store(url.href, [...res.cookies]);
    return res;
  }

  async cookieNames(url = this.appBase + '/'): Promise<string[]> {
    return (await this.jar.getCookies(url)).map((c) => c.key).sort();
  }

  /** Follows the identity provider from an authorization URL through its login form to our callback. */
  async signInAtIdp(authorizationUrl: string, username: string, password: string): Promise<string> {
    let res = await this.idp(authorizationUrl);
    let location = new URL(res.headers.location as string, authorizationUrl).href;
    for (let hop = 0; hop < 8; hop++) {
      if (location.startsWith(this.appBase)) return location;
      res = await this.idp(location);
      if (res.status === 200 && res.body.includes('name="username"')) {
        res = await this.idp(location, { username, password });
      }
      if (res.status < 300 || res.status >= 400) throw new Error(`identity provider answered ${res.status}`);
      location = new URL(res.headers.location as string, location).href;
    }
    if (location.startsWith(this.appBase)) return location;
    throw new Error('no redirect back to the app');
  }
}
