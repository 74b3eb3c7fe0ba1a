import { describe, expect, it } from 'vitest';
import { cognitoEntitlements } from '../../../lambda/authorizer/cognito-claims';

/**
 * cognitoEntitlements runs in the authorizer's deferred cognito module, which has its own copy of the
 * Malformed class: a malformed claim comes back as its message (the caller throws its own Malformed), and
 * any other error is thrown as it is.
 */
describe('cognitoEntitlements', () => {
  it('returns the problem of a malformed claim as a string instead of throwing it', () => {
    expect(cognitoEntitlements({ keygate_roles: 7 }, undefined)).toBe('keygate_roles has the wrong shape');
    expect(cognitoEntitlements({ 'cognito:groups': 'g' }, undefined)).toBe(
      'cognito:groups is not a list of strings',
    );
  });

  it('throws an unexpected error as it is', () => {
    // JSON.parse makes no getters; only a caller passing other claims gets here.
    const claims = {
      get keygate_roles(): unknown {
        throw new RangeError('unexpected');
      },
    };
    expect(() => cognitoEntitlements(claims, undefined)).toThrow(RangeError);
  });

  it('maps well-formed claims', () => {
    expect(
      cognitoEntitlements(
        { keygate_roles: ['r', 'api:admin', 'other:x'], scope: 's1 s2', 'cognito:groups': ['g'] },
        new Set(['api']),
      ),
    ).toEqual({
      realmRoles: ['r', 'api:admin', 'other:x'],
      clientRoles: ['api:admin'],
      scopes: ['s1', 's2'],
      groups: ['g'],
    });
  });
});
