import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import type { StageConfig } from '../../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../../common/app-config';
import { validateStageConfig } from '../../../common/app-config-validate';
import type { NagViolation } from '../helpers';
import { synthStage } from '../../support/stage-app';

const dev = DEFAULT_APP_CONFIG.stages.dev;

const STAGE: StageConfig = {
  ...dev,
  usageTiers: {
    tiers: {
      free: { rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: 'DAY' } },
      team: {
        rateLimit: 20,
        burstLimit: 40,
        quota: { limit: 100000, period: 'MONTH' },
        routeThrottles: { 'POST /models/{modelId}/stream': { rateLimit: 2, burstLimit: 4 } },
      },
    },
    defaultTier: 'free',
    assignments: [{ clientRole: 'keygate-api:model-user', tier: 'team' }],
  },
};

describe('Keygate app with usageTiers in the stage', () => {
  let template: Template;
  let violations: NagViolation[];

  beforeAll(() => {
    // GIVEN the default stage with two tiers
    // WHEN
    ({ template, violations } = synthStage('dev', STAGE));
  });

  test('the REST API gets one usage plan and key per tier; the HTTP API keeps its stage throttle', () => {
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 2);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 2);
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [
        Match.objectLike({ Throttle: { '/models/{modelId}/stream/POST': { RateLimit: 2, BurstLimit: 4 } } }),
      ],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(violations).toEqual([]);
  });
});

describe('stage usageTiers validation', () => {
  test.each<[string, Record<string, unknown>, string]>([
    [
      'tiers without a REST API',
      { ...STAGE, apis: { http: true, rest: false }, routes: dev.routes.filter((r) => r.stream !== true) },
      'keygate.stages.dev.usageTiers needs the REST API (apis.rest): HTTP APIs have no usage plans; use throttling alone',
    ],
    [
      'a tier faster than the stage throttle',
      { ...STAGE, throttling: { rateLimit: 10, burstLimit: 100 } },
      "keygate.stages.dev.usageTiers.tiers.team.rateLimit 20 is above the stage throttle's 10: raise throttling.rateLimit or lower the tier",
    ],
    [
      'a route throttle on an IAM route',
      {
        ...STAGE,
        usageTiers: {
          ...STAGE.usageTiers,
          tiers: {
            free: {
              rateLimit: 1,
              burstLimit: 1,
              routeThrottles: { 'GET /machine/models': { rateLimit: 1, burstLimit: 1 } },
            },
            team: { rateLimit: 1, burstLimit: 1 },
          },
        },
      },
      "keygate.stages.dev.usageTiers.tiers.free.routeThrottles['GET /machine/models']: no route of the API has this key (GET /me, GET /models, POST /models/{modelId}/invoke, POST /models/{modelId}/stream)",
    ],
  ])('refuses %s, naming the field', (_, stage, message) => {
    expect(validateStageConfig(stage, 'keygate.stages.dev')).toEqual([message]);
  });

  test('accepts the tiers above', () => {
    expect(validateStageConfig(STAGE, 'keygate.stages.dev')).toEqual([]);
  });
});
