/**
 * Tokenizer shared by the demo text models: Unicode-aware (letters and digits of any script), lower-cased
 * after NFKC normalization, with clause punctuation kept as separate tokens so negation can stop at it.
 */

export interface Token {
  readonly text: string;
  /** true for `.`, `!`, `?`, `;`, `,` and `:` — clause boundaries. */
  readonly boundary: boolean;
}

const TOKEN = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*|[.!?;,:]/gu;
/** Bounds the work for any input the body validator lets through. */
export const MAX_TOKENS = 100_000;

export function tokenize(text: string): Token[] {
  const normalized = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02bc]/g, "'");
  const out: Token[] = [];
  for (const m of normalized.matchAll(TOKEN)) {
    if (out.length >= MAX_TOKENS) break;
    const t = m[0];
    out.push({ text: t, boundary: t.length === 1 && '.!?;,:'.includes(t) });
  }
  return out;
}

/** Word tokens only. */
export function words(text: string): string[] {
  return tokenize(text)
    .filter((t) => !t.boundary)
    .map((t) => t.text);
}
