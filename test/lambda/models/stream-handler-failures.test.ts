/**
 * The streaming function fails closed: a misconfigured function logs its errors once and answers every
 * request 500 config_invalid; a streamer that throws something that is not a ModelCallError is logged by
 * its name only and answered 500 internal_error, before any event or after the events already sent.
 */
import { describe, expect, test } from 'vitest';
import { parseStreamEvents } from '../../../common/model-stream';
import { validateBackendConfig } from '../../../lambda/models/backend-config';
import type { ModelStreamer } from '../../../lambda/models/model-streamer';
import { createStreamHandler } from '../../../lambda/models/stream-handler';
import {
  collectStreamedResponse,
  localStreamingRuntime,
} from '../../../local/gateway/lambda-response-stream';
import { keycloakEvent, tokenContext } from '../../fixtures/models/events';
import { recordingLogger } from './recording-logger';

const CONFIG = validateBackendConfig({ models: [{ id: 'sentiment', kind: 'demo', demo: 'sentiment' }] });

const event = () =>
  keycloakEvent('rest', {
    method: 'POST',
    route: '/models/{modelId}/stream',
    modelId: 'sentiment',
    context: tokenContext({ realmRoles: 'model:sentiment:invoke' }),
    body: JSON.stringify({ input: 'secret words of the caller' }),
  });

function handlerWith(config: ReturnType<typeof validateBackendConfig>, stream: ModelStreamer) {
  const logger = recordingLogger();
  const handler = createStreamHandler({
    config,
    stream,
    logger,
    httpResponseStream: localStreamingRuntime.HttpResponseStream,
  });
  return { handler, logger };
}

const never: ModelStreamer = () => {
  throw new Error('the streamer must not be called');
};

describe('streaming function failures', () => {
  test('a misconfigured function: the errors logged once at creation, every request 500 config_invalid', async () => {
    const invalid = validateBackendConfig({ models: 'none' });
    expect(invalid.ok).toBe(false);
    const { handler, logger } = handlerWith(invalid, never);
    expect(logger.lines.map((l) => [l.level, l.message])).toEqual([
      ['error', 'model backend configuration is invalid'],
    ]);
    for (let i = 0; i < 2; i++) {
      const res = await collectStreamedResponse((rs) => handler(event(), rs));
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body)).toMatchObject({ error: 'config_invalid' });
    }
    expect(logger.lines).toHaveLength(1);
  });

  test('a streamer that throws a plain error before its first chunk: 500 internal_error, its name logged, never its message', async () => {
    const { handler, logger } = handlerWith(CONFIG, () => {
      const err = new TypeError('cannot read secret words of the caller');
      return {
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(err) }),
      };
    });
    const res = await collectStreamedResponse((rs) => handler(event(), rs));
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toMatchObject({
      error: 'internal_error',
      message: 'an unexpected error occurred',
    });
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors).toEqual([
      {
        level: 'error',
        message: 'unexpected error',
        attributes: { requestId: expect.any(String), errorName: 'TypeError' },
      },
    ]);
    expect(JSON.stringify(logger.lines)).not.toContain('secret words');
  });

  test('a streamer that throws after a chunk: the delta, then one error event with internal_error', async () => {
    const { handler, logger } = handlerWith(CONFIG, () =>
      (async function* () {
        yield { type: 'delta' as const, text: 'Hello' };
        throw new RangeError('boom');
      })(),
    );
    const res = await collectStreamedResponse((rs) => handler(event(), rs));
    expect(res.statusCode).toBe(200);
    const { events, rest } = parseStreamEvents(res.body);
    expect(rest).toBe('');
    expect(events.map((e) => e.event)).toEqual(['delta', 'error']);
    expect(events[1].data).toMatchObject({ error: 'internal_error' });
    expect(
      logger.lines.filter((l) => l.message === 'unexpected error').map((l) => l.attributes.errorName),
    ).toEqual(['RangeError']);
  });
});
