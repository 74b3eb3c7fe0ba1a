/**
 * Property tests: whatever the event or body, the backend answers with a well-formed JSON response and
 * never runs a model for a body that breaks the schema or a caller without the model's role.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { validateBackendConfig } from '../../../lambda/models/backend-config';
import { createHandler } from '../../../lambda/models/handler';
import { parseInvokeBody } from '../../../lambda/models/request-body';
import { keycloakEvent, tokenContext } from '../../fixtures/models/events';
import { recordingLogger } from './recording-logger';

const LIMITS = { maxBodyBytes: 4096, maxInputChars: 1000 };
const STATUSES = new Set([200, 400, 401, 403, 404, 413, 500]);

function handlerCountingRuns() {
  let runs = 0;
  const handler = createHandler({
    config: validateBackendConfig({
      models: [{ id: 'sentiment', kind: 'demo', demo: 'sentiment' }],
      limits: LIMITS,
    }),
    invoke: async () => {
      runs++;
      return { output: 'ran' };
    },
    logger: recordingLogger(),
  });
  return { handler, runs: () => runs };
}

describe('hostile input', () => {
  test('any event value yields a JSON response with a known status, never a throw', async () => {
    const { handler } = handlerCountingRuns();
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 4 }), async (event) => {
        const res = await handler(event);
        expect(STATUSES.has(res.statusCode)).toBe(true);
        expect(() => JSON.parse(res.body) as unknown).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });

  test('any JSON body: the model runs only when the body fits the schema', async () => {
    const { handler, runs } = handlerCountingRuns();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          // Near-valid bodies: the right field names with values of any type and range.
          fc.record(
            {
              input: fc.oneof(fc.string({ maxLength: 1200 }), fc.jsonValue({ maxDepth: 2 })),
              parameters: fc.dictionary(
                fc.constantFrom('maxTokens', 'temperature', 'topP', 'topK', '__proto__', 'x'),
                fc.oneof(fc.double(), fc.integer(), fc.jsonValue({ maxDepth: 1 })),
              ),
            },
            { requiredKeys: [] },
          ),
        ),
        async (value) => {
          const body = JSON.stringify(value) ?? 'null';
          const before = runs();
          const res = await handler(
            keycloakEvent('http', { body, context: tokenContext({ realmRoles: 'model:sentiment:invoke' }) }),
          );
          const fits = parseInvokeBody(body, false, LIMITS).ok;
          expect(res.statusCode).toBe(fits ? 200 : body.length > LIMITS.maxBodyBytes ? 413 : 400);
          expect(runs() - before).toBe(fits ? 1 : 0);
        },
      ),
      { numRuns: 400 },
    );
  });

  test('any roles without the model role: 403 and the model does not run', async () => {
    const { handler, runs } = handlerCountingRuns();
    const role = fc.stringMatching(/^[\x21-\x7e]{1,40}$/).filter((r) => r !== 'model:sentiment:invoke');
    await fc.assert(
      fc.asyncProperty(
        fc.array(role, { maxLength: 8 }),
        fc.array(role, { maxLength: 8 }),
        async (realm, client) => {
          const res = await handler(
            keycloakEvent('rest', {
              body: '{"input":"good"}',
              context: tokenContext({
                realmRoles: realm.join(' '),
                clientRoles: client.filter((c) => c !== 'keygate-api:model:sentiment:invoke').join(' '),
              }),
            }),
          );
          expect(res.statusCode).toBe(403);
        },
      ),
      { numRuns: 200 },
    );
    expect(runs()).toBe(0);
  });

  test('arbitrary bytes as a base64 body never crash the decoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const r = parseInvokeBody(Buffer.from(bytes).toString('base64'), true, LIMITS);
        if (!r.ok)
          expect(['invalid_body', 'invalid_json', 'invalid_encoding', 'body_too_large']).toContain(r.error);
      }),
      { numRuns: 500 },
    );
  });
});
