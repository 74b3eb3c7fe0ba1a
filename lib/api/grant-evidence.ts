import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * Records why a `grantInvoke` resource may hold `*`: each `*` stands for exactly one path parameter of
 * one IAM route (the narrowest resource IAM can express for it). The acknowledgment names that one
 * resource, so any other wildcard in the grantee's policies is still reported by cdk-nag.
 */
export function acknowledgeRouteGrant(grantee: iam.IGrantable, resourceArn: string, route: string): void {
  if (!resourceArn.includes('*')) return;
  const principal = grantee.grantPrincipal;
  if (!Construct.isConstruct(principal)) return;
  const rendered = renderForNag(Stack.of(principal).resolve(resourceArn));
  Validations.of(principal).acknowledge({
    id: `AwsSolutions-IAM5[Resource::${rendered}]`,
    reason: `grantInvoke(${route}): each '*' is one path parameter of this IAM route on this API and stage, nothing broader.`,
  });
}

/** cdk-nag writes `Ref` as `<Id>` and `Fn::GetAtt` as `<Id.Attr>` inside joined strings. */
function renderForNag(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return `<${v.Ref}>`;
    if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    if (Array.isArray(v['Fn::Join'])) {
      const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(renderForNag).join(sep);
    }
  }
  return JSON.stringify(value);
}
