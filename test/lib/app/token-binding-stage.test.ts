import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, test } from 'vitest';
import type { StageConfig } from '../../../common/app-config';
import { DEFAULT_APP_CONFIG } from '../../../common/app-config';
import { buildKeygateApp } from '../../../lib/app/build-app';
import type { NagViolation } from '../helpers';
import { synthWithNag } from '../helpers';

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
    const app = new App({
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-binding-app-')),
      context: { keygate: { stages: { bound: stage } }, 'aws:cdk:bundling-stacks': [] },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = buildKeygateApp(app);
    violations = synthWithNag(app);
    template = Template.fromStack(stack);
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
