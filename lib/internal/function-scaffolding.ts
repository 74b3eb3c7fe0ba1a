/**
 * The scaffolding every Keygate function shares, written once (in the spirit of aws-solutions-constructs'
 * defaults modules): a log group of its own, a role of its own that may write to that log group and nothing
 * else (instead of AWSLambdaBasicExecutionRole, which may write any log group), and the cdk-nag
 * acknowledgement of the runtime choice. Constructs add their own grants to the role.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Options of a function's log group and role. */
export interface FunctionScaffoldingProps {
  /** The role's description: what the function may do. */
  readonly roleDescription: string;
  /**
   * Retention of the log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when it leaves the stack.
   * @default - aws-cdk-lib's default for log groups (retain)
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /**
   * Construct id of the log group.
   * @default 'LogGroup'
   */
  readonly logGroupId?: string;
  /**
   * Construct id of the role.
   * @default 'Role'
   */
  readonly roleId?: string;
}

/** A function's own log group, and its own role allowed to write to it. */
export interface FunctionScaffolding {
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;
}

/** Creates the log group and the role of one function (or of functions sharing both). */
export function functionScaffolding(scope: Construct, props: FunctionScaffoldingProps): FunctionScaffolding {
  const logGroup = new logs.LogGroup(scope, props.logGroupId ?? 'LogGroup', {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    ...(props.logRemovalPolicy !== undefined ? { removalPolicy: props.logRemovalPolicy } : {}),
  });
  const role = new iam.Role(scope, props.roleId ?? 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription,
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      // The log group's Arn attribute ends in `:*`, which covers its log streams and nothing else
      // (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-loggroup.html).
      resources: [logGroup.logGroupArn],
    }),
  );
  return { logGroup, role };
}

/**
 * cdk-nag's AwsSolutions-L1 asks for the latest Node.js runtime; Keygate functions run on the one their
 * bundles and tests are built for (lib/internal/lambda-code.ts).
 */
export function acknowledgeKeygateRuntime(...functions: lambda.IFunction[]): void {
  for (const fn of functions) {
    Validations.of(fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Keygate functions target nodejs22.x on arm64 deliberately: the runtime their bundles and tests are built for.',
    });
  }
}
