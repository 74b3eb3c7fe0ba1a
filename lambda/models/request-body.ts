/**
 * Validates the body of `POST .../models/{modelId}/invoke`. Hand-written and strict: a fixed set of
 * fields, each checked for type and range, unknown fields rejected by name (which also rejects
 * `__proto__`, `constructor` and `prototype` keys), and the result rebuilt from the checked fields only.
 *
 *   { "input": string (1..maxInputChars), "parameters"?: { maxTokens?, temperature?, topP?, topK? } }
 */
import type { BackendLimits } from './backend-config';
import { isRecord } from './backend-config';
import type { InvokeParameters, InvokeRequest } from './types';

export type BodyResult =
  | { readonly ok: true; readonly request: InvokeRequest }
  | {
      readonly ok: false;
      readonly statusCode: 400 | 413;
      readonly error: 'invalid_body' | 'invalid_json' | 'invalid_encoding' | 'body_too_large';
      readonly message: string;
    };

interface NumberRule {
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
}

export const PARAMETER_RULES: Readonly<Record<keyof InvokeParameters, NumberRule>> = {
  maxTokens: { integer: true, min: 1, max: 4096 },
  temperature: { integer: false, min: 0, max: 1 },
  topP: { integer: false, min: 0, max: 1 },
  topK: { integer: true, min: 1, max: 100 },
};

const TOP_LEVEL_FIELDS = ['input', 'parameters'] as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LONE_SURROGATE = /\p{Surrogate}/u;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseInvokeBody(
  body: string | null,
  isBase64Encoded: boolean,
  limits: BackendLimits,
): BodyResult {
  if (body === null || body === '')
    return invalid('invalid_body', 'body is required: a JSON object with an input string');
  let text: string;
  if (isBase64Encoded) {
    // Size first, from the encoded length, so a huge body is never decoded.
    if (Math.floor(body.length / 4) * 3 > limits.maxBodyBytes + 2) return tooLarge(limits);
    if (!BASE64.test(body)) return invalid('invalid_encoding', 'body is not valid base64');
    const bytes = Buffer.from(body, 'base64');
    if (bytes.length > limits.maxBodyBytes) return tooLarge(limits);
    try {
      text = utf8.decode(bytes);
    } catch {
      return invalid('invalid_encoding', 'body is not valid UTF-8');
    }
  } else {
    if (body.length > limits.maxBodyBytes || Buffer.byteLength(body, 'utf8') > limits.maxBodyBytes) {
      return tooLarge(limits);
    }
    text = body;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalid('invalid_json', 'body is not valid JSON');
  }
  if (!isRecord(parsed)) return invalid('invalid_body', 'body must be a JSON object');
  for (const key of Object.keys(parsed)) {
    if (!(TOP_LEVEL_FIELDS as readonly string[]).includes(key)) {
      return invalid(
        'invalid_body',
        `body.${fieldName(key)} is not allowed (allowed: ${TOP_LEVEL_FIELDS.join(', ')})`,
      );
    }
  }
  const input = parsed.input;
  if (typeof input !== 'string' || input.trim().length === 0 || input.length > limits.maxInputChars) {
    return invalid(
      'invalid_body',
      `body.input must be a non-blank string of at most ${limits.maxInputChars} characters`,
    );
  }
  if (LONE_SURROGATE.test(input)) return invalid('invalid_body', 'body.input must be valid Unicode text');
  const parameters = parseParameters(parsed.parameters);
  if (typeof parameters === 'string') return invalid('invalid_body', parameters);
  return { ok: true, request: { input, parameters } };
}

function parseParameters(value: unknown): InvokeParameters | string {
  if (value === undefined) return {};
  if (!isRecord(value)) return 'body.parameters must be a JSON object';
  const out: Record<string, number> = {};
  for (const key of Object.keys(value)) {
    if (!Object.prototype.hasOwnProperty.call(PARAMETER_RULES, key)) {
      return `body.parameters.${fieldName(key)} is not allowed (allowed: ${Object.keys(PARAMETER_RULES).join(', ')})`;
    }
    const rule = PARAMETER_RULES[key as keyof InvokeParameters];
    const v = value[key];
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      (rule.integer && !Number.isInteger(v)) ||
      v < rule.min ||
      v > rule.max
    ) {
      return `body.parameters.${key} must be ${rule.integer ? 'an integer' : 'a number'} from ${rule.min} to ${rule.max}`;
    }
    out[key] = v;
  }
  return out as InvokeParameters;
}

/** A field name as it may appear in an error: printable, short. */
function fieldName(key: string): string {
  const clean = key.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}...` : clean;
}

function invalid(error: 'invalid_body' | 'invalid_json' | 'invalid_encoding', message: string): BodyResult {
  return { ok: false, statusCode: 400, error, message };
}

function tooLarge(limits: BackendLimits): BodyResult {
  return {
    ok: false,
    statusCode: 413,
    error: 'body_too_large',
    message: `body exceeds ${limits.maxBodyBytes} bytes`,
  };
}
