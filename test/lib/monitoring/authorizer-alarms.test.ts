import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { beforeAll, describe, expect, test } from 'vitest';
import { KeygateAuthorizer } from '../../../lib/authorizer/keygate-authorizer';
import { TrustedIssuer } from '../../../lib/authorizer/trusted-issuer';
import { AuthorizerAlarms } from '../../../lib/monitoring/authorizer-alarms';
import { newStack } from '../helpers';
import { expectValidationError } from '../validation';

function authorizerIn(stack: ReturnType<typeof newStack>['stack']) {
  return new KeygateAuthorizer(stack, 'Authorizer', {
    issuers: [
      TrustedIssuer.keycloakRealm({
        issuerUrl: 'https://sso.example.com/realms/ml',
        allowedAudiences: ['api'],
      }),
    ],
  });
}

describe('AuthorizerAlarms', () => {
  let template: Template;

  beforeAll(() => {
    // GIVEN alarms with a topic and a custom spike threshold
    const { stack } = newStack();
    const topic = new sns.Topic(stack, 'Topic');
    new AuthorizerAlarms(stack, 'Alarms', {
      authorizer: authorizerIn(stack),
      topic,
      denialSpikeThreshold: 25,
    });
    // WHEN
    template = Template.fromStack(stack);
  });

  test('alarms on function errors and error-level log lines', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'FILL(crashes, 0) + FILL(logged, 0)' }),
        Match.objectLike({
          Id: 'crashes',
          MetricStat: Match.objectLike({
            Metric: Match.objectLike({ Namespace: 'AWS/Lambda', MetricName: 'Errors' }),
          }),
        }),
        Match.objectLike({
          Id: 'logged',
          MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'LoggedErrors' }) }),
        }),
      ]),
    });
  });

  test('alarms on the first JWKS fetch failure', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'JwksFetchFailures',
      Namespace: Match.stringLikeRegexp('^Keygate/'),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
    });
  });

  test('alarms on a spike of 401 and 403 decisions', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 25,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'FILL(denied, 0) + FILL(unauthorized, 0)' })]),
    });
  });

  test('notifies the topic when each alarm fires and clears', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(3);
    for (const a of alarms) {
      expect(a.Properties.AlarmActions).toHaveLength(1);
      expect(a.Properties.AlarmActions[0].Ref).toMatch(/^Topic/);
      expect(a.Properties.OKActions[0].Ref).toMatch(/^Topic/);
    }
  });

  test('rejects a threshold that is not a positive integer', () => {
    const { stack } = newStack();
    expectValidationError(
      () =>
        new AuthorizerAlarms(stack, 'Alarms', { authorizer: authorizerIn(stack), denialSpikeThreshold: 0 }),
      'denialSpikeThreshold',
      'AuthorizerAlarms: denialSpikeThreshold must be a positive integer, got 0',
    );
  });
});
