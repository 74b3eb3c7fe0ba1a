import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, test } from 'vitest';
import { validateStageConfig } from '../../../common/app-config-validate';
import { buildKeygateApp } from '../../../lib/app/build-app';
import type { NagViolation } from '../helpers';
import { synthWithNag } from '../helpers';
import { IAM_TIER_STAGE } from '../../cfn-lint/templates';

const SCORER = 'arn:aws:iam::111122223333:role/batch-scorer';

describe('Keygate app with roleArn usage tiers in the stage', () => {
  let template: Template;
  let violations: NagViolation[];

  beforeAll(() => {
    const app = new App({
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-app-')),
      context: { keygate: { stages: { dev: IAM_TIER_STAGE } }, 'aws:cdk:bundling-stacks': [] },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = buildKeygateApp(app);
    violations = synthWithNag(app);
    template = Template.fromStack(stack);
  });

  test('the IAM routes are served by a companion REST API with key source HEADER, each requiring a key', () => {
    template.resourcePropertiesCountIs('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' }, 1);
    template.resourcePropertiesCountIs(
      'AWS::ApiGateway::Method',
      { AuthorizationType: 'AWS_IAM', ApiKeyRequired: true },
      3,
    );
    template.resourcePropertiesCountIs('AWS::ApiGateway::Method', { AuthorizationType: 'AWS_IAM' }, 3);
  });

  test('outputs the companion URL and, per machine principal, the ARN of the secret holding its key', () => {
    const outputs = template.findOutputs('*');
    expect(
      Object.keys(outputs)
        .filter((k) => /RestIamApiUrl|ApiKeySecretArn/.test(k))
        .sort(),
    ).toEqual(['MachinePrincipal0ApiKeySecretArn', 'MachinePrincipal1ApiKeySecretArn', 'RestIamApiUrl']);
    template.hasOutput('MachinePrincipal1ApiKeySecretArn', {
      Value: { Ref: Match.stringLikeRegexp('^RestApiUsageTiersstandardKeyValue') },
    });
    template.hasOutput('MachinePrincipal0ApiKeySecretArn', {
      Value: { Ref: Match.stringLikeRegexp('^RestApiIamTiersRole0KeyValue') },
    });
  });

  test('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(violations).toEqual([]);
  });
});

describe('stage roleArn usage tier validation', () => {
  test.each<[string, Record<string, unknown>, string[]]>([
    [
      'roleArn tiers with the HTTP API on',
      { ...IAM_TIER_STAGE, apis: undefined },
      [
        `keygate.stages.dev.usageTiers.assignments[1].roleArn: IAM callers get tiers on the REST API only (HTTP APIs have no usage plans), and the HTTP API would serve the same IAM routes without a tier; set keygate.stages.dev.apis.http to false or remove the roleArn assignments`,
      ],
    ],
    [
      'a role in two tiers',
      {
        ...IAM_TIER_STAGE,
        usageTiers: {
          ...IAM_TIER_STAGE.usageTiers,
          assignments: [...IAM_TIER_STAGE.usageTiers!.assignments!, { roleArn: SCORER, tier: 'standard' }],
        },
      },
      [
        `keygate.stages.dev.usageTiers.assignments[2].roleArn: ${SCORER} is already assigned by keygate.stages.dev.usageTiers.assignments[1]; an IAM role gets one tier (one API key): remove one`,
      ],
    ],
    [
      'a role that is no machine principal',
      { ...IAM_TIER_STAGE, machinePrincipals: [IAM_TIER_STAGE.machinePrincipals![1]] },
      [
        `keygate.stages.dev.usageTiers.assignments[1].roleArn: ${SCORER} is no role of keygate.stages.dev.machinePrincipals, so it is granted no route; add it there or remove the assignment`,
      ],
    ],
    [
      'a cross-account machine principal',
      {
        ...IAM_TIER_STAGE,
        machinePrincipals: [
          IAM_TIER_STAGE.machinePrincipals![0],
          {
            roleArn: 'arn:aws:iam::444455556666:role/x',
            routes: ['GET /machine/models'],
            crossAccount: true,
          },
        ],
      },
      [
        'keygate.stages.dev.machinePrincipals[1].crossAccount: with roleArn usage tiers every IAM caller sends an API key read from Secrets Manager, which a role of another account cannot read from a secret under the aws/secretsmanager key; call from a role of this account',
      ],
    ],
  ])('refuses %s, naming the field', (_, stage, messages) => {
    expect(validateStageConfig(stage, 'keygate.stages.dev')).toEqual(messages);
  });

  test('accepts the stage above', () => {
    expect(validateStageConfig(IAM_TIER_STAGE, 'keygate.stages.dev')).toEqual([]);
  });
});
