/**
 * The checks of a Cognito user pool issuer entry: each mistake is named by its exact field path, and a
 * well-formed entry passes.
 */
import { describe, expect, it } from 'vitest';
import { validateCognitoIssuer } from '../../common/cognito-issuer';

const GOOD = {
  kind: 'cognito',
  userPoolId: 'eu-west-1_AbC123',
  region: 'eu-west-1',
  allowedClients: ['app-client'],
};
const AT = 'issuers[1]';

describe('validateCognitoIssuer', () => {
  it('accepts a well-formed entry, with or without role clients', () => {
    expect(validateCognitoIssuer(GOOD, AT)).toEqual([]);
    expect(validateCognitoIssuer({ ...GOOD, roleClients: ['keygate-api'] }, AT)).toEqual([]);
  });

  it.each([
    [
      'a region that is not one',
      { region: 'Europe' },
      [
        [`${AT}.region`, 'must be an AWS region'],
        [`${AT}.userPoolId`, 'is in eu-west-1 but region is Europe'],
      ],
    ],
    ['no region', { region: undefined }, [[`${AT}.region`, 'must be an AWS region']]],
    [
      'a pool id of another form',
      { userPoolId: 'pool-1' },
      [[`${AT}.userPoolId`, 'must look like <region>_<id>']],
    ],
    [
      'a pool id that is not a string',
      { userPoolId: 42 },
      [[`${AT}.userPoolId`, 'must look like <region>_<id>']],
    ],
    [
      'a pool in another region',
      { userPoolId: 'us-east-1_AbC123' },
      [[`${AT}.userPoolId`, 'is in us-east-1 but region is eu-west-1']],
    ],
    [
      'no app client',
      { allowedClients: [] },
      [[`${AT}.allowedClients`, 'must list at least one app client id']],
    ],
    [
      'app clients that are not strings',
      { allowedClients: [1] },
      [[`${AT}.allowedClients`, 'must list at least one app client id']],
    ],
    ['an unknown field', { jwksUri: 'https://x' }, [[`${AT}.jwksUri`, 'is not a cognito issuer field']]],
  ])('names the field: %s', (_what, change, expected) => {
    const issues = validateCognitoIssuer({ ...GOOD, ...change }, AT);
    // Each message opens with the field's path.
    expect(issues.map((i) => [i.path, i.message])).toEqual(expected.map(([p, m]) => [p, `${p} ${m}`]));
  });

  it('names role clients that are not a list of strings under roleClients', () => {
    const issues = validateCognitoIssuer({ ...GOOD, roleClients: 'keygate-api' }, AT);
    expect(issues).toHaveLength(1);
    expect(issues[0].path.startsWith(`${AT}.roleClients`)).toBe(true);
  });
});
