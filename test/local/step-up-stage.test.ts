/**
 * Step-up from the stage configuration through the app served from its assembly (built-in issuer, the
 * app's authorizer and model backend functions): the realm's `acrLoaMap` reaches the authorizer, a route's `requirement.stepUp`
 * refuses an ordinary sign-in with the challenge, and a stepped-up token reaches the model (the backend
 * re-checks the entitlements, never the sign-in it cannot see).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StageConfig } from '../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import { call, userTokens } from '../../local/callers';
import type { ServedStage } from '../../local/serve-stage';
import { stepUpDemoRoute } from '../../local/step-up-demo';
import { callerStack, serveTestStage } from '../support/served-stage';

const dev = DEFAULT_APP_CONFIG.stages.dev;
const BODY = JSON.stringify({ input: 'I love this great product' });

describe('stepUpDemoRoute', () => {
  it("adds the realm's highest level within 15 minutes to the invoke route of a stage without step-up", () => {
    const found = stepUpDemoRoute(dev);
    expect(found && { route: `${found.route.method} ${found.route.path}`, stepUp: found.stepUp }).toEqual({
      route: 'POST /models/{modelId}/invoke',
      stepUp: { minLoa: 2, maxAgeSeconds: 900 },
    });
    expect(found?.stage.routes.filter((r) => r.requirement?.stepUp !== undefined)).toHaveLength(1);
    expect(found?.example).toBe(true);
  });

  it("takes the stage's own step-up route, and none without levels", () => {
    const own = stepUpDemoRoute({
      ...dev,
      routes: dev.routes.map((r) =>
        r.path === '/models' ? { ...r, requirement: { stepUp: { amr: ['otp'] } } } : r,
      ),
    });
    expect(own && [own.route.path, own.stepUp, own.example]).toEqual(['/models', { amr: ['otp'] }, false]);
    expect(stepUpDemoRoute({ ...dev, keycloak: { ...dev.keycloak, acrLoaMap: undefined } })).toBeUndefined();
  });
});

describe('a stage step-up route behind the local REST API', () => {
  const stage: StageConfig = stepUpDemoRoute(dev)!.stage;
  let served: ServedStage;
  let stack: ReturnType<typeof callerStack>;

  beforeAll(async () => {
    served = await serveTestStage(stage, { apiKinds: ['rest'], cacheTtlSeconds: 0 });
    stack = callerStack(served, 'rest');
  });
  afterAll(async () => {
    await served?.close();
  });

  it('refuses an ordinary sign-in (acr 1) with 403 and the RFC 9470 challenge', async () => {
    const token = (await userTokens(stack, 'alice')).access_token;
    const res = await call(stack, 'POST', '/models/sentiment/invoke', { token, body: BODY });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_user_authentication", error_description="A stronger or more recent sign-in is required", acr_values="2", max_age=900',
    );
  });

  it('lets a sign-in at level 2 of a minute ago reach the model', async () => {
    const token = await stack.issuer.mint({
      username: 'alice',
      claims: { acr: '2', auth_time: Math.floor(Date.now() / 1000) - 60 },
    });
    const res = await call(stack, 'POST', '/models/sentiment/invoke', { token, body: BODY });
    expect(res.status).toBe(200);
    expect(res.json()).toMatchObject({ modelId: 'sentiment' });
  });

  it('refuses a level-2 sign-in older than 15 minutes', async () => {
    const token = await stack.issuer.mint({
      username: 'alice',
      claims: { acr: '2', auth_time: Math.floor(Date.now() / 1000) - 901 },
    });
    const res = await call(stack, 'POST', '/models/sentiment/invoke', { token, body: BODY });
    expect(res.status).toBe(403);
  });
});
