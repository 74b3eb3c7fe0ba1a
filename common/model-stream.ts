/**
 * The streamed model answer, as the backend writes it and every reader (the local gateway, keygate-call,
 * the tests) parses it: server-sent events (https://html.spec.whatwg.org/multipage/server-sent-events.html)
 * on a streaming route of a REST API.
 *
 *   event: delta   data: {"text":"Hel"}                          one per text delta, in order
 *   event: done    data: {"modelId","stopReason","usage","requestId"}   last event of a complete answer
 *   event: error   data: {"error","message","requestId"}          last event of a failed answer
 *
 * Each event is written whole in one write, so a reader never sees half an event's JSON; a stream ends
 * with exactly one `done` or one `error` event, or is cut (client gone, function timed out).
 * Plain types and pure functions only.
 */

/** The streaming model route of people and service accounts (same requirement as the invoke route). */
export const MODEL_STREAM_PATH = '/models/{modelId}/stream';
/** The streaming model route of IAM callers (SigV4), granted like the other iam routes. */
export const MACHINE_STREAM_PATH = '/machine/models/{modelId}/stream';

export const STREAM_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

export type StreamEventName = 'delta' | 'done' | 'error';

/** Token counts as the model reported them. */
export interface StreamUsage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
}

export interface DeltaData {
  readonly text: string;
}

export interface DoneData {
  readonly modelId: string;
  /** The model's stop reason (`end_turn`, `max_tokens`, ...; the demo models say `end_turn`). */
  readonly stopReason: string;
  readonly usage?: StreamUsage;
  readonly requestId: string;
}

export interface ErrorData {
  readonly error: string;
  readonly message: string;
  readonly requestId?: string;
}

export type StreamEvent =
  | { readonly event: 'delta'; readonly data: DeltaData }
  | { readonly event: 'done'; readonly data: DoneData }
  | { readonly event: 'error'; readonly data: ErrorData };

/**
 * One server-sent event. JSON never contains a raw line break (JSON.stringify escapes them), so the
 * payload is always a single `data:` line.
 */
export function formatStreamEvent(e: StreamEvent): string {
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/**
 * Reads events out of a growing text buffer: returns the complete events and the unparsed rest (an event
 * still being received). Unknown event names and malformed data are skipped rather than guessed at.
 */
export function parseStreamEvents(buffer: string): { events: StreamEvent[]; rest: string } {
  const events: StreamEvent[] = [];
  const normalized = buffer.replace(/\r\n/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let name: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event:')) name = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (name !== 'delta' && name !== 'done' && name !== 'error') continue;
    try {
      const parsed = JSON.parse(data.join('\n')) as unknown;
      if (typeof parsed === 'object' && parsed !== null) {
        events.push({ event: name, data: parsed } as StreamEvent);
      }
    } catch {
      // A malformed event is dropped: readers act on well-formed events only.
    }
  }
  return { events, rest };
}
