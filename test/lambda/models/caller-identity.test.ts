import { describe, expect, it, test } from 'vitest';
import { identityFromEvent } from '../../../lambda/models/caller-identity';
import { iamEvent, keycloakEvent, tokenContext } from '../../fixtures/models/events';

describe('identityFromEvent', () => {
  it.each(['rest', 'http'] as const)('reads the Lambda authorizer context of a %s event', (shape) => {
    const r = identityFromEvent(
      keycloakEvent(shape, {
        context: tokenContext({
          realmRoles: 'model-user team:lead',
          clientRoles: 'keygate-api:model:x:invoke',
          roles: 'ignored:combined',
          scopes: 'openid email',
        }),
      }),
      'keycloak',
    );
    expect(r).toEqual({
      ok: true,
      caller: {
        type: 'token',
        sub: 'a0a0a0a0-1111-4222-8333-444455556666',
        username: 'carol',
        clientId: 'keygate-web',
        issuer: 'https://keycloak.example.com/realms/keygate',
        tokenKind: 'keycloak-user',
        realmRoles: ['model-user', 'team:lead'],
        clientRoles: ['keygate-api:model:x:invoke'],
        scopes: ['openid', 'email'],
        groups: [],
      },
    });
  });

  it.each([
    [
      'rest',
      'arn:aws:sts::111122223333:assumed-role/batch-scorer/nightly-run',
      'AROAEXAMPLEROLEID0001:nightly-run',
    ],
    [
      'http',
      'arn:aws:sts::111122223333:assumed-role/batch-scorer/nightly-run',
      'AROAEXAMPLEROLEID0001:nightly-run',
    ],
  ] as const)('reads the IAM caller of a %s event', (shape, arn, callerId) => {
    expect(identityFromEvent(iamEvent(shape), 'iam')).toEqual({
      ok: true,
      caller: { type: 'iam', principalArn: arn, accountId: '111122223333', callerId },
    });
  });

  test('a keycloak route never takes an IAM identity, nor an iam route a token context', () => {
    expect(identityFromEvent(iamEvent('http'), 'keycloak').ok).toBe(false);
    expect(identityFromEvent(keycloakEvent('rest'), 'iam')).toEqual({
      ok: false,
      reason: 'no IAM identity in the event',
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['a numeric sub', { ...tokenContext(), sub: 42 }],
    ['an array of realm roles', { ...tokenContext(), realmRoles: ['admin'] }],
    ['no issuer', { ...tokenContext(), issuer: undefined }],
  ])('does not accept %s as identity', (_, context) => {
    const r = identityFromEvent(keycloakEvent('http', { context }), 'keycloak');
    if (r.ok) {
      // Wrongly typed list values count as empty, never as entitlements.
      expect(r.caller.type === 'token' && r.caller.realmRoles).toEqual([]);
    } else {
      expect(r.reason).toBe('authorizer context lacks sub or issuer');
    }
  });

  test('an authorizer that writes only the combined roles list is read through it', () => {
    const rest: Record<string, string> = tokenContext();
    delete rest.realmRoles;
    delete rest.clientRoles;
    const r = identityFromEvent(
      keycloakEvent('http', { context: { ...rest, roles: 'model-user keygate-api:model:x:invoke' } }),
      'keycloak',
    );
    expect(r.ok && r.caller.type === 'token' && [r.caller.realmRoles, r.caller.clientRoles]).toEqual([
      ['model-user', 'keygate-api:model:x:invoke'],
      ['keygate-api:model:x:invoke'],
    ]);
  });

  test('with the separate keys present, the combined list is ignored', () => {
    const r = identityFromEvent(
      keycloakEvent('rest', {
        context: tokenContext({ realmRoles: 'a', clientRoles: '', roles: 'a keygate-api:model:x:invoke' }),
      }),
      'keycloak',
    );
    expect(r.ok && r.caller.type === 'token' && [r.caller.realmRoles, r.caller.clientRoles]).toEqual([
      ['a'],
      [],
    ]);
  });

  test('"-" (the authorizer\'s "none") reads as empty: no username, no client, no roles; a "-" sub is no identity', () => {
    const none = tokenContext({
      username: '-',
      clientId: '-',
      realmRoles: '-',
      clientRoles: '-',
      scopes: '-',
      groups: '-',
    });
    const r = identityFromEvent(keycloakEvent('http', { context: none }), 'keycloak');
    expect(r.ok && r.caller.type === 'token' && r.caller).toMatchObject({
      username: '',
      clientId: '',
      realmRoles: [],
      clientRoles: [],
      scopes: [],
      groups: [],
    });
    expect(
      identityFromEvent(keycloakEvent('rest', { context: tokenContext({ sub: '-' }) }), 'keycloak'),
    ).toEqual({
      ok: false,
      reason: 'authorizer context lacks sub or issuer',
    });
  });

  test('an unknown token kind is kept empty', () => {
    const r = identityFromEvent(
      keycloakEvent('rest', { context: tokenContext({ tokenKind: 'root' }) }),
      'keycloak',
    );
    expect(r.ok && r.caller.type === 'token' && r.caller.tokenKind).toBe('');
  });

  test('control characters are removed from context values', () => {
    const r = identityFromEvent(
      keycloakEvent('rest', { context: tokenContext({ username: 'eve\n{"audit":true}' }) }),
      'keycloak',
    );
    expect(r.ok && r.caller.type === 'token' && r.caller.username).toBe('eve{"audit":true}');
  });
});
