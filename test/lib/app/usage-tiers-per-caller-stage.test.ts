/**
 * A stage with a per-caller tier: the app synthesizes the caller-key table and the authorizer's grants,
 * passes cdk-nag, and a perCaller that is not a boolean is refused at synth, naming the field.
 */
import type { Template } from 'aws-cdk-lib/assertions';
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
      standard: { rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: 'DAY' }, perCaller: true },
      batch: { rateLimit: 20, burstLimit: 40 },
    },
    defaultTier: 'standard',
    assignments: [{ clientRole: 'keygate-api:model-user', tier: 'batch' }],
  },
};

describe('Keygate app with a per-caller tier in the stage', () => {
  let template: Template;
  let violations: NagViolation[];

  beforeAll(() => {
    ({ template, violations } = synthStage('dev', STAGE));
  });

  test('two plans, one shared key, the caller-key table, and the per-caller plan tagged', () => {
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 2);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    const tables = Object.keys(template.findResources('AWS::DynamoDB::Table'));
    expect(tables.filter((id) => /UsageTiersCallerKeys/.test(id))).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      Tags: [{ Key: 'keygate:usage-tier', Value: 'standard' }],
    });
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(violations).toEqual([]);
  });

  test('refuses a perCaller that is not a boolean, naming the field', () => {
    const bad = {
      ...STAGE,
      usageTiers: {
        tiers: { standard: { rateLimit: 1, burstLimit: 1, perCaller: 1 } },
        defaultTier: 'standard',
      },
    };
    expect(validateStageConfig(bad as unknown as StageConfig, 'keygate.stages.dev')).toEqual([
      "keygate.stages.dev.usageTiers.tiers.standard.perCaller must be true (an API key per caller) or false (one key shared by the tier's callers)",
    ]);
  });
});
