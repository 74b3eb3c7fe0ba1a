import { describe, expect, it, test } from 'vitest';
import { toApiRequest } from '../../../lambda/models/api-event';
import { iamEvent, keycloakEvent } from '../../fixtures/models/events';

describe('toApiRequest', () => {
  it.each([
    ['rest', '/models', 'GET', 'listModels', 'keycloak'],
    ['http', '/models', 'GET', 'listModels', 'keycloak'],
    ['rest', '/me', 'GET', 'me', 'keycloak'],
    ['http', '/models/{modelId}/invoke', 'POST', 'invokeModel', 'keycloak'],
  ] as const)('maps a %s event on %s to %s', (shape, route, method, operation, routeAuth) => {
    const r = toApiRequest(keycloakEvent(shape, { route, method }));
    expect(
      r.ok && {
        operation: r.request.operation,
        routeAuth: r.request.routeAuth,
        routeKey: r.request.routeKey,
      },
    ).toEqual({
      operation,
      routeAuth,
      routeKey: `${method} ${route}`,
    });
  });

  it.each(['rest', 'http'] as const)('marks /machine routes of a %s event as iam', (shape) => {
    const r = toApiRequest(iamEvent(shape, { route: '/machine/models' }));
    expect(r.ok && r.request.routeAuth).toBe('iam');
  });

  test('an HTTP API $default route falls back to the request path', () => {
    const e = keycloakEvent('http', { modelId: 'keywords' });
    e.routeKey = '$default';
    delete e.pathParameters;
    const r = toApiRequest(e);
    expect(r.ok && [r.request.operation, r.request.modelId]).toEqual(['invokeModel', 'keywords']);
  });

  test('the stage prefix in a REST request path does not matter: the resource template decides', () => {
    const e = keycloakEvent('rest', { route: '/models' });
    (e.requestContext as Record<string, unknown>).path = '/prod/models';
    const r = toApiRequest(e);
    expect(r.ok && r.request.operation).toBe('listModels');
  });

  test('a /machine route template never maps to a keycloak operation', () => {
    const e = iamEvent('rest', { route: '/machine/models/{modelId}/invoke' });
    const r = toApiRequest(e);
    expect(r.ok && [r.request.routeAuth, r.request.routeKey]).toEqual([
      'iam',
      'POST /machine/models/{modelId}/invoke',
    ]);
  });
});
