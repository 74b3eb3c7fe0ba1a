/**
 * The synthesized app's functions read their Secrets Manager secrets from the local stand-in of the
 * Parameters and Secrets extension: the sign-in function its cookie keyring (a browser signs in through
 * the app's own sign-in function, run from the assembly), the authorizer its usage tiers' API keys.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import { serveAssembly } from '../../local/assembly/serve-assembly';
import type { ServedAssembly } from '../../local/assembly/serve-assembly';
import { startSecretsStandIn } from '../../local/assembly/secrets-stand-in';
import { freeConsecutivePorts } from '../../local/free-ports';
import { request, postForm } from '../../local/http/request';
import type { Response } from '../../local/http/request';
import { localStageRealm } from '../../local/sign-in-realm';
import { synthKeygateApp } from '../../local/synth-app';

const dev = DEFAULT_APP_CONFIG.stages.dev;
// Browser sign-in needs the result cache off (build-app refuses a TTL with it).
const stage: StageConfig = { ...dev, authorizer: { responseMode: 'iam' }, browserSignIn: {} };

describe('keygate local: the functions read their secrets from the local stand-in', () => {
  let served: ServedAssembly;
  let urls: string[];
  beforeAll(async () => {
    const port = await freeConsecutivePorts(2);
    urls = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`];
    const synth = await synthKeygateApp({ ...DEFAULT_APP_CONFIG, stages: { dev: stage } }, 'dev');
    served = await serveAssembly({
      app: synth.assembly,
      stack: synth.stack,
      gatewayPort: port,
      realms: { [dev.keycloak.issuer]: localStageRealm(stage, { signInUrls: urls }) },
      secrets: { RestApiUsageTiersbatchKeyValue5AF65086: 'BatchKeyValueGivenByTheUser0000000000001' },
    });
  }, 120_000);
  afterAll(async () => {
    await served?.close();
  });

  it('serves each secret the template declares, generated as CloudFormation would, or the given value', () => {
    const byId = Object.fromEntries(served.secrets.map((s) => [s.secretId, s.value]));
    expect(Object.keys(byId).sort()).toEqual([
      'local-RestApiUsageTiersbatchKeyValue5AF65086',
      'local-RestApiUsageTiersstandardKeyValue02B9F806',
      'local-SignInCookieKeys71F1D442',
    ]);
    // SecretStringTemplate {"current":"k1"} with GenerateStringKey k1, 64 characters without punctuation.
    expect(JSON.parse(byId['local-SignInCookieKeys71F1D442'])).toEqual({
      current: 'k1',
      k1: expect.stringMatching(/^[A-Za-z0-9]{64}$/),
    });
    expect(byId['local-RestApiUsageTiersstandardKeyValue02B9F806']).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(byId['local-RestApiUsageTiersbatchKeyValue5AF65086']).toBe(
      'BatchKeyValueGivenByTheUser0000000000001',
    );
  });

  it('lets the authorizer with usage tiers read its keys and allow on the REST API', async () => {
    const issuer = served.issuer!;
    const token = await request(issuer.urls.token, {
      method: 'POST',
      ca: issuer.ca,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'keygate-web',
        username: 'alice',
        password: issuer.passwords.alice,
      }).toString(),
    });
    const rest = served.apis.find((a) => a.api.kind === 'rest')!;
    const res = await request(`${rest.url}/models`, {
      headers: { authorization: `Bearer ${token.json().access_token as string}` },
    });
    expect(res.status).toBe(200);
  });

  it('signs a person in through the app own sign-in function, with its cookie keyring', async () => {
    const http = served.apis.find((a) => a.api.kind === 'http')!;
    expect(http.url).toBe(urls[0]);
    const issuer = served.issuer!;
    const jar = new Map<string, string>();
    const keep = (res: Response) => {
      for (const c of (res.headers['set-cookie'] as string[] | undefined) ?? []) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        if (/max-age=0|expires=thu, 01 jan 1970/i.test(c)) jar.delete(pair.slice(0, i));
        else jar.set(pair.slice(0, i), pair.slice(i + 1));
      }
      return res;
    };
    const headers = (): Record<string, string> =>
      jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
    const get = async (url: string) => keep(await request(url, { headers: headers(), ca: issuer.ca }));

    expect((await get(`${http.url}/me`)).status).toBe(401);
    const login = await get(`${http.url}/auth/login?returnTo=%2Fme`);
    expect(login.status).toBe(302);
    const location = new URL(login.headers.location as string);
    expect(location.href.startsWith(`${issuer.urls.auth}?`)).toBe(true);
    // The loopback gateway's own http URL, as the sign-in function derives it from the request.
    expect(location.searchParams.get('redirect_uri')).toBe(`${http.url}/auth/callback`);

    let res = await get(location.href);
    expect(res.status).toBe(303);
    res = keep(
      await postForm(
        new URL(res.headers.location as string, issuer.issuer).href,
        { username: 'alice', password: issuer.passwords.alice },
        { ca: issuer.ca, headers: headers() },
      ),
    );
    let next = new URL(res.headers.location as string, issuer.issuer).href;
    for (let i = 0; i < 5 && !next.startsWith(http.url); i++) {
      res = await get(next);
      next = new URL(res.headers.location as string, issuer.issuer).href;
    }
    expect(next.startsWith(`${http.url}/auth/callback?`)).toBe(true);
    const callback = await get(next);
    expect(callback.status).toBe(302);
    expect(callback.headers.location).toBe(`${http.url}/me`);
    expect([...jar.keys()]).toContain('__Host-keygate_session');

    const me = await get(`${http.url}/me`);
    expect(me.status).toBe(200);
    expect(me.json()).toMatchObject({ username: 'alice', tokenKind: 'keycloak-user' });
  });
});

describe('secrets stand-in', () => {
  const resources = {
    Keys: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: { GenerateSecretString: { PasswordLength: 12, ExcludeCharacters: 'abc' } },
    },
    Fixed: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: 'fixed-value' } },
  };

  function get(port: string, secretId: string, token: string | undefined) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: Number(port),
          path: `/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`,
          headers: token === undefined ? {} : { 'X-Aws-Parameters-Secrets-Token': token },
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('answers as the extension does, to a caller presenting the session token only', async () => {
    const saved = { key: process.env.AWS_ACCESS_KEY_ID, profile: process.env.AWS_PROFILE };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_PROFILE;
    const standIn = await startSecretsStandIn(resources);
    if (saved.key !== undefined) process.env.AWS_ACCESS_KEY_ID = saved.key;
    if (saved.profile !== undefined) process.env.AWS_PROFILE = saved.profile;
    try {
      const port = standIn.environment.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT;
      const token = standIn.environment.AWS_SESSION_TOKEN;
      expect(token).toMatch(/^[\w-]{32}$/);
      const keys = await get(port, 'local-Keys', token);
      expect(keys.status).toBe(200);
      const value = (JSON.parse(keys.body) as { SecretString: string }).SecretString;
      expect(value).toMatch(/^[^abc]{12}$/);
      expect(JSON.parse((await get(port, 'Fixed', token)).body)).toMatchObject({
        Name: 'local-Fixed',
        SecretString: 'fixed-value',
      });
      expect((await get(port, 'local-Other', token)).status).toBe(400);
      expect((await get(port, 'local-Keys', undefined)).status).toBe(401);
      expect((await get(port, 'local-Keys', 'wrong')).status).toBe(401);
    } finally {
      await standIn.close();
    }
  });
});
