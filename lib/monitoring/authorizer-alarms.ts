import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { KeygateAuthorizer } from '../authorizer/keygate-authorizer';
import { KeygateValidationError } from '../internal/validation-error';

/** Properties of the authorizer alarms. */
export interface AuthorizerAlarmsProps {
  /** The authorizer to watch. */
  readonly authorizer: KeygateAuthorizer;
  /**
   * Topic notified when an alarm fires and when it clears.
   * @default - no notification (the alarms are still visible in CloudWatch)
   */
  readonly topic?: ITopic;
  /**
   * Denials (403) plus unauthorized requests (401) in 5 minutes that count as a spike.
   * @default 100
   */
  readonly denialSpikeThreshold?: number;
}

/**
 * Alarms on the authorizer: function errors (crashes, timeouts and error-level log lines), JWKS fetch
 * failures (the issuer is unreachable: every new token will be refused), and a spike of denials (an
 * attack, or a broken client or role mapping). Each evaluates 5-minute sums; missing data is OK.
 */
export class AuthorizerAlarms extends Construct {
  /** Function errors or error-level log lines. */
  public readonly errorsAlarm: cloudwatch.Alarm;
  /** At least one JWKS fetch failure. */
  public readonly jwksFailuresAlarm: cloudwatch.Alarm;
  /** A spike of 401 and 403 decisions. */
  public readonly denialSpikeAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: AuthorizerAlarmsProps) {
    super(scope, id);
    const threshold = props.denialSpikeThreshold ?? 100;
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new KeygateValidationError(
        this,
        'denialSpikeThreshold',
        `AuthorizerAlarms: denialSpikeThreshold must be a positive integer, got ${threshold}`,
      );
    }
    const a = props.authorizer;
    const period = Duration.minutes(5);

    this.errorsAlarm = new cloudwatch.Alarm(this, 'Errors', {
      alarmDescription:
        'Keygate authorizer: the function failed or logged an error (requests are denied meanwhile)',
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(crashes, 0) + FILL(logged, 0)',
        usingMetrics: {
          crashes: a.handler.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
          logged: a.metricLoggedErrors({ period }),
        },
        period,
        label: 'authorizer errors',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.jwksFailuresAlarm = new cloudwatch.Alarm(this, 'JwksFailures', {
      alarmDescription: "Keygate authorizer: a trusted issuer's JWKS could not be fetched",
      metric: a.metricJwksFetchFailures({ period }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.denialSpikeAlarm = new cloudwatch.Alarm(this, 'DenialSpike', {
      alarmDescription: `Keygate authorizer: ${threshold} or more 401/403 decisions in 5 minutes`,
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(denied, 0) + FILL(unauthorized, 0)',
        usingMetrics: { denied: a.metricDenials({ period }), unauthorized: a.metricUnauthorized({ period }) },
        period,
        label: 'denials',
      }),
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    if (props.topic) {
      const action = new SnsAction(props.topic);
      for (const alarm of [this.errorsAlarm, this.jwksFailuresAlarm, this.denialSpikeAlarm]) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
  }
}
