import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import type { StageConfig } from '../../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../../common/app-config';
import type { NagViolation } from '../helpers';
import { synthStage } from '../../support/stage-app';

describe('Keygate app (stage with revocation and browser sign-in, both APIs)', () => {
  const stage: StageConfig = {
    ...DEFAULT_APP_CONFIG.stages.dev,
    authorizer: { responseMode: 'iam' },
    browserSignIn: {},
    revocation: { boundSeconds: 20 },
  };
  let template: Template;
  let violations: NagViolation[];

  beforeAll(() => {
    ({ template, violations } = synthStage('rev', stage));
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(violations).toEqual([]);
  });

  test('creates one revocation list and one logout function, reachable on both APIs without an authorizer', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    const route = Object.values(template.findResources('AWS::ApiGatewayV2::Route'))
      .map((r) => r.Properties)
      .find((r) => r.RouteKey === 'POST /auth/backchannel-logout');
    expect(route?.AuthorizationType ?? 'NONE').toBe('NONE');
    const resources = Object.values(template.findResources('AWS::ApiGateway::Resource')).map(
      (r) => r.Properties.PathPart,
    );
    expect(resources.filter((p) => p === 'backchannel-logout')).toHaveLength(1);
    expect(resources.filter((p) => p === 'auth')).toHaveLength(1);
  });

  test('the authorizer checks the list with the stage bound', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.KEYGATE_CONFIG !== undefined,
    );
    expect(fns).toHaveLength(1);
    expect(JSON.stringify(fns[0].Properties.Environment.Variables.KEYGATE_CONFIG)).toContain(
      '\\"revocation\\":{\\"boundSeconds\\":20,\\"tableName\\":',
    );
  });
});
