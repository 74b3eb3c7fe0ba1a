import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isFederatedFrom,
  MAX_ROLES,
  parseRolesAttribute,
  ROLE_PATTERN,
  rolesForToken,
} from '../../../lambda/pre-token-generation/roles-claim';

const identities = (providerName: string) =>
  JSON.stringify([{ userId: 'u1', providerName, providerType: 'OIDC', issuer: null, primary: 'true' }]);

describe('parseRolesAttribute', () => {
  it.each<[string, unknown, string[], number]>([
    [
      "Cognito's rendering of an array claim",
      '[model-user, model:sentiment:invoke]',
      ['model-user', 'model:sentiment:invoke'],
      0,
    ],
    ['a JSON array', '["model-user","keygate-api:model-user"]', ['model-user', 'keygate-api:model-user'], 0],
    ['a single role', 'model-user', ['model-user'], 0],
    ['comma separated', 'a,b,,c', ['a', 'b', 'c'], 0],
    ['whitespace separated', ' a  b\tc ', ['a', 'b', 'c'], 0],
    ['duplicates', '[a, a, b]', ['a', 'b'], 1],
    ['a wildcard role', '[model:*:invoke, model-user]', ['model-user'], 1],
    ['a bare star', '*', [], 1],
    ['a slash', '[a/b, ../admin, ok]', ['ok'], 2],
    ['control characters', '["a\\u0000b","c\\nd","e\\u007f","fine"]', ['fine'], 3],
    ['a comma inside a JSON entry', '["a,b","c"]', ['c'], 1],
    ['non-string JSON entries', '[1, true, null, {"r":"x"}, ["y"], "z"]', ['z'], 5],
    ['a role over 255 characters', `[${'r'.repeat(256)}, ok]`, ['ok'], 1],
    ['unicode look-alikes', '["mоdel-user","model-user"]', ['model-user'], 1],
    ['quotes and brackets in a non-JSON list', '[a", [b, c]', ['c'], 2],
    ['a JSON object (not a list)', '{"roles":["admin"]}', [], 1],
    ['a JSON string', '"model-user"', [], 1],
    ['an unterminated list', '[a, b', [], 1],
  ])('%s', (_case, value, roles, dropped) => {
    expect(parseRolesAttribute(value)).toEqual({ roles, outcome: 'ok', dropped });
  });

  it.each<[string, unknown, string]>([
    ['undefined', undefined, 'absent'],
    ['empty', '', 'absent'],
    ['null', null, 'absent'],
    ['a number', 42, 'malformed'],
    ['a list object (not text)', ['model-user'], 'malformed'],
    ['longer than a custom attribute', 'a,'.repeat(1025), 'malformed'],
  ])('%s gives no roles', (_case, value, outcome) => {
    expect(parseRolesAttribute(value)).toEqual({ roles: [], outcome, dropped: 0 });
  });

  it(`keeps at most ${MAX_ROLES} roles and counts the rest as dropped`, () => {
    const many = Array.from({ length: 150 }, (_, i) => `r${i}`).join(',');
    const out = parseRolesAttribute(many);
    expect(out.roles).toHaveLength(MAX_ROLES);
    expect(out.roles[0]).toBe('r0');
    expect(out.dropped).toBe(50);
  });

  it('never emits an entry outside the role pattern, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (value) => {
        const out = parseRolesAttribute(value);
        expect(out.roles.every((r) => ROLE_PATTERN.test(r))).toBe(true);
        expect(out.roles.length).toBeLessThanOrEqual(MAX_ROLES);
        expect(new Set(out.roles).size).toBe(out.roles.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('isFederatedFrom / rolesForToken', () => {
  it.each<[string, unknown, boolean]>([
    ['the provider', identities('Keycloak'), true],
    ['another provider', identities('Google'), false],
    ['no identities (a native user)', undefined, false],
    ['not JSON', '[{providerName:Keycloak}]', false],
    ['a JSON object', JSON.stringify({ providerName: 'Keycloak' }), false],
    ['a list of non-objects', JSON.stringify(['Keycloak']), false],
  ])('identities naming %s -> %s', (_case, value, expected) => {
    expect(isFederatedFrom(value, 'Keycloak')).toBe(expected);
  });

  it('copies roles only for users federated from the trusted provider', () => {
    const attrs = { 'custom:kc_roles': '[model-user]' };
    expect(
      rolesForToken({ ...attrs, identities: identities('Keycloak') }, 'custom:kc_roles', 'Keycloak'),
    ).toEqual({
      roles: ['model-user'],
      outcome: 'ok',
      dropped: 0,
    });
    expect(rolesForToken(attrs, 'custom:kc_roles', 'Keycloak')).toEqual({
      roles: [],
      outcome: 'not_federated',
      dropped: 0,
    });
    expect(
      rolesForToken({ ...attrs, identities: identities('Keycloak') }, 'custom:kc_roles', ''),
    ).toMatchObject({
      outcome: 'not_federated',
    });
  });
});
