import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import type { StageConfig } from '../../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../../common/app-config';
import { MODELS_CONFIG_ENV } from '../../../common/function-env';
import { buildKeygateApp } from '../../../lib/app/build-app';

describe('Keygate app (stage with a step-up route)', () => {
  const dev = DEFAULT_APP_CONFIG.stages.dev;
  // GIVEN the default stage whose invoke route needs level 2 and an OTP within 15 minutes
  const stage: StageConfig = {
    ...dev,
    // Usage tiers put their secrets' ARNs in the config (a Fn::Join); this stage is about step-up alone.
    usageTiers: undefined,
    routes: dev.routes.map((r) =>
      r.method === 'POST' && r.path === '/models/{modelId}/invoke'
        ? { ...r, requirement: { ...r.requirement, stepUp: { minLoa: 2, amr: ['otp'], maxAgeSeconds: 900 } } }
        : r,
    ),
  };
  let template: Template;

  beforeAll(() => {
    const app = new App({
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-step-up-app-')),
      context: { keygate: { stages: { dev: stage } }, 'aws:cdk:bundling-stacks': [] },
    });
    template = Template.fromStack(buildKeygateApp(app));
  });

  test("the authorizer gets the route's step-up and the realm's acrLoaMap", () => {
    const configs = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment?.Variables?.KEYGATE_CONFIG as string | undefined)
      .filter((c) => c !== undefined);
    expect(configs).toHaveLength(1);
    const config = JSON.parse(configs[0]) as {
      issuers: { acrLoaMap?: unknown }[];
      routes: { method: string; path: string; requirement?: { stepUp?: unknown } }[];
    };
    expect(config.issuers.map((i) => i.acrLoaMap)).toEqual([{ '1': 1, '2': 2 }]);
    expect(config.routes.filter((r) => r.requirement?.stepUp !== undefined)).toEqual([
      {
        method: 'POST',
        path: '/models/{modelId}/invoke',
        auth: 'keycloak',
        requirement: {
          anyOf: {
            realmRoles: ['model:{modelId}:invoke'],
            clientRoles: ['keygate-api:model:{modelId}:invoke'],
          },
          stepUp: { minLoa: 2, amr: ['otp'], maxAgeSeconds: 900 },
        },
      },
    ]);
  });

  test('the model backend re-checks the entitlements only: it never sees the sign-in', () => {
    const configs = Object.values(template.findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment?.Variables?.[MODELS_CONFIG_ENV] as unknown)
      .filter((c) => c !== undefined);
    expect(configs).toHaveLength(2);
    for (const c of configs) {
      const text = typeof c === 'string' ? c : JSON.stringify(c);
      expect(text).toContain('model:{modelId}:invoke');
      expect(text).not.toContain('stepUp');
    }
  });

  test("the REST API's ACCESS_DENIED response carries the challenge header", () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'ACCESS_DENIED',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.WWW-Authenticate': 'context.authorizer.stepUp',
      }),
    });
  });
});
