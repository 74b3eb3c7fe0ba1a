import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, test } from 'vitest';
import type { StageConfig } from '../../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../../common/app-config';
import type { NagViolation } from '../helpers';
import { synthStage } from '../../support/stage-app';

describe('Keygate app (stage with tokenBinding, both APIs)', () => {
  const stage: StageConfig = {
    ...DEFAULT_APP_CONFIG.stages.dev,
    authorizer: { responseMode: 'iam' },
    tokenBinding: {
      dpop: { routes: ['POST /models/{modelId}/invoke'], proofMaxAgeSeconds: 30 },
      mtls: { issuers: [DEFAULT_APP_CONFIG.stages.dev.keycloak.issuer] },
    },
  };
  let template: Template;
  let violations: NagViolation[];

  beforeAll(() => {
    ({ template, violations } = synthStage('bound', stage));
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(violations).toEqual([]);
  });

  test('creates the DPoP replay table, with TTL', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  test('the authorizer gets the stage block with the table, and the result cache is off on both APIs', () => {
    const fns = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.KEYGATE_CONFIG !== undefined,
    );
    expect(fns).toHaveLength(1);
    const config = JSON.stringify(fns[0].Properties.Environment.Variables.KEYGATE_CONFIG);
    expect(config).toContain(
      '\\"dpop\\":{\\"issuers\\":[],\\"routes\\":[\\"POST /models/{modelId}/invoke\\"],\\"proofMaxAgeSeconds\\":30,\\"replayTableName\\":',
    );
    expect(config).toContain(
      '\\"mtls\\":{\\"issuers\\":[\\"https://keycloak.example.com/realms/keygate\\"],\\"routes\\":[]}',
    );
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerResultTtlInSeconds: 0 });
  });
});
