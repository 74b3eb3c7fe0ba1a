import { describe, expect, test } from 'vitest';
import {
  duplicateRoleArnErrors,
  hasIamTiers,
  roleArnAssignments,
  validateStageIamTiers,
} from '../../common/usage-tiers-iam';
import type { UsageTiersConfig } from '../../common/usage-tiers';

const A = 'arn:aws:iam::111122223333:role/a';
const B = 'arn:aws:iam::111122223333:role/b';

const CONFIG: UsageTiersConfig = {
  tiers: { free: { rateLimit: 1, burstLimit: 1 }, team: { rateLimit: 2, burstLimit: 2 } },
  defaultTier: 'free',
  assignments: [
    { realmRole: 'x', tier: 'team' },
    { roleArn: A, tier: 'team' },
  ],
};

describe('IAM usage tiers contract', () => {
  test('roleArn assignments are the IAM ones, in order; without them IAM callers are not tiered', () => {
    expect(roleArnAssignments(CONFIG)).toEqual([{ roleArn: A, tier: 'team' }]);
    expect(hasIamTiers(CONFIG)).toBe(true);
    expect(hasIamTiers({ ...CONFIG, assignments: [CONFIG.assignments![0]] })).toBe(false);
    expect(hasIamTiers({ ...CONFIG, assignments: undefined })).toBe(false);
  });

  test.each<[string, unknown, string[]]>([
    ['distinct roles', [{ roleArn: A }, { roleArn: B }, { realmRole: 'x' }], []],
    [
      'a role twice, even in the same tier',
      [{ roleArn: A, tier: 'free' }, { roleArn: B }, { roleArn: A, tier: 'free' }],
      [
        `t.assignments[2].roleArn: ${A} is already assigned by t.assignments[0]; an IAM role gets one tier (one API key): remove one`,
      ],
    ],
    ['malformed entries (reported elsewhere) without a crash', [null, 5, { roleArn: 7 }, 'x'], []],
    ['no list', { roleArn: A }, []],
  ])('duplicateRoleArnErrors: %s', (_, assignments, errors) => {
    expect(duplicateRoleArnErrors(assignments, 't').map((i) => i.message)).toEqual(errors);
  });

  test('validateStageIamTiers: nothing to say without roleArn assignments, whatever the rest', () => {
    expect(validateStageIamTiers({}, 's')).toEqual([]);
    expect(validateStageIamTiers({ usageTiers: { assignments: 'x' } }, 's')).toEqual([]);
    expect(
      validateStageIamTiers(
        { usageTiers: { assignments: [{ realmRole: 'x' }] }, machinePrincipals: [{ crossAccount: true }] },
        's',
      ),
    ).toEqual([]);
  });

  test('validateStageIamTiers: every problem at once, each naming its field', () => {
    expect(
      validateStageIamTiers(
        {
          usageTiers: { assignments: [{ realmRole: 'x' }, { roleArn: A }] },
          apis: { http: true },
          machinePrincipals: [{ roleArn: B, crossAccount: true }],
        },
        's',
      ),
    ).toEqual([
      's.usageTiers.assignments[1].roleArn: IAM callers get tiers on the REST API only (HTTP APIs have no usage plans), and the HTTP API would serve the same IAM routes without a tier; set s.apis.http to false or remove the roleArn assignments',
      `s.usageTiers.assignments[1].roleArn: ${A} is no role of s.machinePrincipals, so it is granted no route; add it there or remove the assignment`,
      's.machinePrincipals[0].crossAccount: with roleArn usage tiers every IAM caller sends an API key read from Secrets Manager, which a role of another account cannot read from a secret under the aws/secretsmanager key; call from a role of this account',
    ]);
  });
});
