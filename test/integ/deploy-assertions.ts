/**
 * Assertions the deploy tests share: an HTTP call's status (and body), and the authorizer's decision line
 * in CloudWatch Logs. Each is a custom resource of @aws-cdk/integ-tests-alpha that runs in the account
 * after the test stack deployed, so the calls go to the real API Gateway endpoints.
 */
import { Duration } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { ExpectedResult, Match } from '@aws-cdk/integ-tests-alpha';
import type { IApiCall, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { DECISION_FIELDS, DECISION_MESSAGE } from '../../common/decision-log';
import type { DecisionOutcome } from '../../common/decision-log';
import type { ReasonCode } from '../../common/reason-codes';

export interface HttpExpectation {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** The status the API must answer with. */
  readonly status: number;
  /** A pattern the parsed JSON body must match. @default - the body is not checked */
  readonly responseBody?: Record<string, unknown>;
}

/** Calls `url` once the stack is deployed and fails the test unless the answer matches. */
export function expectHttp(integ: IntegTest, url: string, expected: HttpExpectation): IApiCall {
  const call = integ.assertions.httpApiCall(url, {
    method: expected.method ?? 'GET',
    ...(expected.headers ? { headers: expected.headers } : {}),
    ...(expected.body !== undefined ? { body: expected.body } : {}),
  });
  call.expect(
    ExpectedResult.objectLike({
      status: expected.status,
      ...(expected.responseBody ? { body: Match.objectLike(expected.responseBody) } : {}),
    }),
  );
  return call;
}

/**
 * Waits (up to five minutes: log delivery takes seconds to a minute) until the authorizer's log group holds
 * a decision line with this outcome and reason.
 */
export function expectDecisionLogged(
  integ: IntegTest,
  logGroup: logs.ILogGroup,
  decision: DecisionOutcome,
  reason: ReasonCode,
): IApiCall {
  const call = integ.assertions.awsApiCall('CloudWatchLogs', 'filterLogEvents', {
    logGroupName: logGroup.logGroupName,
    // CloudWatch Logs JSON filter pattern: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
    filterPattern:
      `{ $.message = "${DECISION_MESSAGE}" && $.${DECISION_FIELDS.decision} = "${decision}"` +
      ` && $.${DECISION_FIELDS.reason} = "${reason}" }`,
    // One event is enough, and keeps the custom resource's answer under CloudFormation's 4 KB.
    limit: 1,
  });
  call.expect(
    ExpectedResult.objectLike({
      events: Match.arrayWith([
        Match.objectLike({
          message: Match.stringLikeRegexp(
            `"${DECISION_FIELDS.decision}":"${decision}","${DECISION_FIELDS.reason}":"${reason}"`,
          ),
        }),
      ]),
    }),
  );
  call.waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(20) });
  return call;
}
