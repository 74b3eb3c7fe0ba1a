/**
 * Picks the streaming runner for a model's kind, as model-invoker.ts does for buffered answers. A runner
 * is an async sequence of chunks: text deltas, then one `stop` with the stop reason and token usage.
 * A ModelCallError thrown before the first chunk becomes an HTTP error answer; one thrown later ends the
 * stream with an error event (stream-handler.ts).
 */
import type { ModelConfig } from '../../common/app-config';
import type { StreamUsage } from '../../common/model-stream';
import { streamBedrock } from './bedrock-stream';
import { DEFAULT_TOP_K, extractKeywords } from './keywords-model';
import { ModelCallError } from './model-error';
import type { ModelClients } from './model-invoker';
import { scoreSentiment } from './sentiment-model';
import { words } from './text-tokens';
import type { InvokeRequest } from './types';

export type StreamChunk =
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'stop'; readonly stopReason: string; readonly usage?: StreamUsage };

export type ModelStreamer = (
  model: ModelConfig,
  request: InvokeRequest,
  signal: AbortSignal,
) => AsyncIterable<StreamChunk>;

export function createModelStreamer(clients: Pick<ModelClients, 'bedrock'>): ModelStreamer {
  return (model, request, signal) => {
    switch (model.kind) {
      case 'demo':
        return streamDemo(model, request, signal);
      case 'bedrock':
        return (async function* () {
          yield* streamBedrock(await clients.bedrock(), model.bedrockModelId as string, request, signal);
        })();
      default:
        return refuse(
          new ModelCallError(
            400,
            'stream_not_supported',
            `model '${model.id}' answers in one piece; call POST /models/${model.id}/invoke`,
          ),
        );
    }
  };
}

/** A stream that fails before its first chunk (so the caller gets a plain HTTP error). */
function refuse(err: ModelCallError): AsyncIterable<StreamChunk> {
  return {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(err) }),
  };
}

/** The demo models' answer as a sentence, so they can stream it word by word like a language model. */
export function demoAnswer(model: ModelConfig, request: InvokeRequest): string {
  switch (model.demo) {
    case 'sentiment': {
      const r = scoreSentiment(request.input);
      const terms = r.matches.slice(0, 5).map((m) => (m.negated ? `not ${m.term}` : m.term));
      return (
        `The text reads ${r.label} (score ${r.score}).` +
        (terms.length ? ` Signals: ${terms.join(', ')}.` : ' No sentiment words found.')
      );
    }
    case 'keywords': {
      const r = extractKeywords(request.input, request.parameters.topK ?? DEFAULT_TOP_K);
      return r.keywords.length
        ? `Keywords: ${r.keywords.map((k) => `${k.term} (${k.count})`).join(', ')}.`
        : 'No keywords found.';
    }
    default:
      throw new ModelCallError(500, 'config_invalid', 'the demo model is not supported');
  }
}

/**
 * One delta per word (with its following space). Usage counts words as tokens: input words and words
 * streamed. Yields to the event loop between words, as a remote model's chunks would arrive, so a
 * disconnect is seen between two words.
 */
async function* streamDemo(
  model: ModelConfig,
  request: InvokeRequest,
  signal: AbortSignal,
): AsyncGenerator<StreamChunk> {
  const parts = demoAnswer(model, request).split(' ');
  let sent = 0;
  for (let i = 0; i < parts.length; i++) {
    if (signal.aborted) return;
    yield { type: 'delta', text: i < parts.length - 1 ? `${parts[i]} ` : parts[i] };
    sent++;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  yield {
    type: 'stop',
    stopReason: 'end_turn',
    usage: { inputTokens: words(request.input).length, outputTokens: sent },
  };
}
