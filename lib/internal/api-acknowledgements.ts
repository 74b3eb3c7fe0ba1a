import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The cdk-nag finding every Keygate REST API acknowledges the same way: a WAF web ACL (AwsSolutions-APIG3)
 * is the account's choice, not the construct's.
 */
export function acknowledgeWebAclChoice(restApi: IConstruct): void {
  Validations.of(restApi).acknowledge({
    id: 'AwsSolutions-APIG3',
    reason:
      'A WAF web ACL is an account-level choice; associate one with the stage where the threat model needs it.',
  });
}
