import { afterEach, describe, expect, it } from 'vitest';
import { startLocalGateway } from '../../local/gateway/local-gateway';
import type { LocalGateway } from '../../local/gateway/local-gateway';
import { DEFAULT_ROUTES } from '../../common/app-config';
import { request } from '../../local/http/request';

// How the gateway treats what an authorizer returns, as API Gateway does: a well-formed policy or simple
// response is applied (and cached); an error other than "Unauthorized" or a malformed response is a 500
// for that request and is not cached. The authorizer here is a plain function standing in for any Lambda.
describe('local gateway and authorizer output', () => {
  let gateway: LocalGateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  const allowAll = {
    principalId: 'p',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: '*' }],
    },
    context: { sub: 'p', n: 1, ok: true },
  };

  async function start(output: () => unknown, responseMode: 'iam' | 'simple' = 'iam') {
    let calls = 0;
    const seen: unknown[] = [];
    gateway = await startLocalGateway({
      routes: DEFAULT_ROUTES,
      responseMode,
      authorizer: async () => {
        calls++;
        return output();
      },
      integration: async (event) => {
        seen.push(event);
        return {
          statusCode: 200,
          headers: { 'content-type': 'text/plain' },
          body: 'ok',
          isBase64Encoded: false,
        };
      },
    });
    const get = (path = '/models') =>
      request(`${gateway!.url}${path}`, { headers: { authorization: 'Bearer t' } });
    return { get, calls: () => calls, seen };
  }

  it.each([
    [
      'an error other than Unauthorized',
      () => {
        throw new Error('boom');
      },
    ],
    ['an empty object', () => ({})],
    ['a policy without principalId', () => ({ policyDocument: allowAll.policyDocument })],
    ['a context value that is an object', () => ({ ...allowAll, context: { roles: ['a'] } })],
    [
      'a statement with an unknown Effect',
      () => ({
        ...allowAll,
        policyDocument: { Statement: [{ Effect: 'Permit', Action: '*', Resource: '*' }] },
      }),
    ],
  ])('answers 500 for %s, and does not cache it', async (_name, output) => {
    const g = await start(output);
    for (let i = 0; i < 2; i++) {
      const res = await g.get();
      expect(res.status).toBe(500);
      expect(res.json()).toEqual({ message: 'Internal Server Error' });
    }
    expect(g.calls()).toBe(2);
    expect(g.seen).toHaveLength(0);
  });

  it('applies and caches a well-formed policy, forwarding numbers and booleans in the context as strings', async () => {
    const g = await start(() => allowAll);
    expect((await g.get('/models')).status).toBe(200);
    expect((await g.get('/me')).status).toBe(200);
    expect(g.calls()).toBe(1);
    const event = g.seen[1] as { requestContext: { authorizer: { lambda: Record<string, string> } } };
    expect(event.requestContext.authorizer.lambda).toEqual({ sub: 'p', n: '1', ok: 'true' });
  });

  it('answers 500 for a simple response whose isAuthorized is not a boolean', async () => {
    const g = await start(() => ({ isAuthorized: 'yes' }), 'simple');
    expect((await g.get()).status).toBe(500);
  });

  it('answers 401 for the Unauthorized error, and calls the authorizer again next time', async () => {
    const g = await start(() => {
      throw new Error('Unauthorized');
    });
    expect((await g.get()).status).toBe(401);
    expect((await g.get()).status).toBe(401);
    expect(g.calls()).toBe(2);
  });
});
