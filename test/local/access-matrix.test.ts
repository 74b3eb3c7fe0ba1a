import { describe, expect, it } from 'vitest';
import { DEFAULT_APP_CONFIG } from '../../common/app-config';
import type { StageConfig } from '../../common/app-config';
import { accessMatrix, describeRequirement, formatAccessMatrix } from '../../local/access-matrix';

const STAGE = DEFAULT_APP_CONFIG.stages.dev;

describe('access matrix', () => {
  it('lists who reaches each default route, per model where the requirement binds {modelId}', () => {
    const rows = Object.fromEntries(accessMatrix(STAGE).map((r) => [r.route, r]));
    expect(rows['GET /me'].callers).toEqual(['alice', 'bob', 'service-account-batch-scorer']);
    expect(rows['GET /models'].callers).toEqual(['alice', 'bob', 'service-account-batch-scorer']);
    expect(rows['POST /models/{modelId}/invoke'].callers).toEqual([
      'sentiment: alice, service-account-batch-scorer',
      'keywords: alice',
    ]);
    expect(rows['GET /machine/models']).toMatchObject({
      auth: 'AWS_IAM (SigV4)',
      callers: [],
      iamPrincipals: ['keygate-local-machine (local)'],
    });
  });

  it('names the stage IAM principals granted an IAM route, and only those', () => {
    const stage: StageConfig = {
      ...STAGE,
      machinePrincipals: [
        {
          roleArn: 'arn:aws:iam::111122223333:role/scorer',
          routes: ['POST /machine/models/{modelId}/invoke'],
        },
        { roleArn: 'arn:aws:iam::111122223333:role/lister', routes: ['GET /machine/models'] },
      ],
    };
    const rows = Object.fromEntries(accessMatrix(stage).map((r) => [r.route, r]));
    expect(rows['GET /machine/models'].iamPrincipals).toEqual([
      'arn:aws:iam::111122223333:role/lister',
      'keygate-local-machine (local)',
    ]);
    expect(rows['POST /machine/models/{modelId}/invoke'].iamPrincipals[0]).toBe(
      'arn:aws:iam::111122223333:role/scorer',
    );
  });

  it.each([
    [undefined, ['any valid token']],
    [
      { anyOf: { realmRoles: ['a'], clientRoles: ['api:b'] } },
      ['any of:', '  realm role a', '  client role api:b'],
    ],
    [{ allOf: { scopes: ['read'], groups: ['/ml'] } }, ['all of:', '  scope read', '  group /ml']],
  ])('describes requirement %j', (requirement, lines) => {
    expect(describeRequirement(requirement)).toEqual(lines);
  });

  it('says nobody when no user or service account meets a requirement', () => {
    const stage: StageConfig = {
      ...STAGE,
      routes: [
        {
          method: 'GET',
          path: '/admin',
          auth: 'keycloak',
          requirement: { allOf: { realmRoles: ['admin'] } },
        },
      ],
    };
    expect(accessMatrix(stage)[0].callers).toEqual([]);
    expect(formatAccessMatrix(accessMatrix(stage))).toMatch(
      /GET \/admin\s+Keygate authorizer\s+all of:\s+nobody/,
    );
  });
});
