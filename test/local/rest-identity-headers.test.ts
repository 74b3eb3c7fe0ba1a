/**
 * A REST API's Lambda proxy integration passes the client's request headers through, so a forged
 * `x-keygate-sub` reaches the backend; the local gateway does the same in REST mode. Backends read the
 * caller from the authorizer context instead: the README's example backend and the model backend both
 * ignore the forged header, behind the REST API and the HTTP API alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { IDENTITY_HEADERS } from '../../common/identity-context';
import { call, userTokens } from '../../local/callers';
import type { ApiType } from '../../local/gateway/api-events';
import type { LambdaFunction } from '../../local/gateway/local-gateway';
import { serveStage } from '../../local/serve-stage';
import type { ServedStage } from '../../local/serve-stage';
import { stageApi } from '../../local/stage-api';
import type { StageApi } from '../../local/stage-api';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readmeExample } from '../package/consumer-app';

const STAGE = DEFAULT_APP_CONFIG.stages.dev;
const CONSUMER_APP_TS = readmeExample(
  fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8'),
).appTs;
const FORGED = Object.fromEntries(Object.values(IDENTITY_HEADERS).map((h) => [h, 'forged-admin']));

/** The README example's inline backend, evaluated as Lambda would load it. */
function exampleBackend(): LambdaFunction {
  const source = /Code\.fromInline\(\s*'(.*)',\s*\)/.exec(CONSUMER_APP_TS)?.[1];
  if (source === undefined) throw new Error('the example app has no inline backend');
  const module = { exports: {} as { handler?: LambdaFunction } };
  new Function('module', 'exports', source)(module, module.exports);
  return module.exports.handler as LambdaFunction;
}

describe.each<ApiType>(['rest', 'http'])('identity behind the %s API', (apiType) => {
  let served: ServedStage[] = [];
  let example: StageApi;
  let models: StageApi;
  const seen: { headers: Record<string, string> }[] = [];

  beforeAll(async () => {
    const handler = exampleBackend();
    const options = { stage: STAGE, buildLambdas: false, apiKinds: [apiType], cacheTtlSeconds: 0 };
    served = await Promise.all([
      // GET /me answered by the README's example backend, in process, in place of the model backend.
      serveStage({
        ...options,
        replaceIntegrations: {
          routes: {
            'GET /me': {
              invoke: (event) => {
                seen.push(event as { headers: Record<string, string> });
                return handler(event);
              },
            },
          },
        },
      }),
      serveStage(options),
    ]);
    [example, models] = served.map((s) => stageApi(s, apiType));
  });
  afterAll(async () => {
    await Promise.all(served.map((s) => s.close()));
  });

  it(
    apiType === 'rest'
      ? 'the gateway passes a forged x-keygate-sub through to the backend, as API Gateway does'
      : 'the gateway overwrites a forged x-keygate-sub with the authorizer context',
    async () => {
      const token = (await userTokens(example, 'alice')).access_token;
      expect((await call(example, 'GET', '/me', { token, headers: FORGED })).status).toBe(200);
      const alice = example.issuer.realm.users.get('alice')!;
      expect(seen.pop()?.headers[IDENTITY_HEADERS.sub]).toBe(apiType === 'rest' ? 'forged-admin' : alice.id);
    },
  );

  it("the README's example backend answers with the verified caller, not the forged one", async () => {
    const token = (await userTokens(example, 'alice')).access_token;
    const res = await call(example, 'GET', '/me', { token, headers: FORGED });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ caller: example.issuer.realm.users.get('alice')!.id });
  });

  it('the model backend describes the verified caller, not the forged one', async () => {
    const token = (await userTokens(models, 'bob')).access_token;
    const res = await call(models, 'GET', '/me', { token, headers: FORGED });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({
      type: 'token',
      sub: models.issuer.realm.users.get('bob')!.id,
      username: 'bob',
      clientId: STAGE.keycloak.peopleClientId,
    });
  });
});
