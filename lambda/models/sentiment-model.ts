/**
 * The `sentiment` demo model: lexicon scoring with negation and intensity handling. Deterministic, no I/O.
 *
 * Each word in the lexicon carries a weight from -3 to 3. A negator (`not`, `never`, `no`, any `...n't`)
 * flips and damps the next sentiment word within three words of the same clause; an intensifier
 * (`very`, `extremely`) strengthens the next one and a downtoner (`slightly`) weakens it. The sum is
 * squashed into [-1, 1] with x / sqrt(x^2 + 15), the normalization VADER uses, so long texts do not
 * saturate at once.
 */
import { tokenize } from './text-tokens';

const LEXICON: Readonly<Record<string, number>> = {
  // positive
  good: 2,
  great: 3,
  excellent: 3,
  amazing: 3,
  awesome: 3,
  wonderful: 3,
  fantastic: 3,
  superb: 3,
  outstanding: 3,
  brilliant: 3,
  perfect: 3,
  love: 3,
  loved: 3,
  loves: 3,
  lovely: 2,
  like: 1,
  liked: 1,
  enjoy: 2,
  enjoyed: 2,
  happy: 2,
  glad: 2,
  pleased: 2,
  delighted: 3,
  nice: 2,
  fine: 1,
  helpful: 2,
  useful: 2,
  fast: 1,
  quick: 1,
  reliable: 2,
  easy: 1,
  clear: 1,
  clean: 1,
  friendly: 2,
  best: 3,
  better: 2,
  impressive: 2,
  recommend: 2,
  recommended: 2,
  satisfied: 2,
  success: 2,
  successful: 2,
  win: 2,
  works: 1,
  working: 1,
  fixed: 1,
  stable: 1,
  smooth: 2,
  elegant: 2,
  beautiful: 3,
  safe: 1,
  thanks: 1,
  thank: 1,
  favorite: 2,
  favourite: 2,
  fun: 2,
  calm: 1,
  correct: 1,
  accurate: 2,
  // negative
  bad: -2,
  terrible: -3,
  awful: -3,
  horrible: -3,
  poor: -2,
  worst: -3,
  worse: -2,
  hate: -3,
  hated: -3,
  hates: -3,
  dislike: -2,
  disliked: -2,
  sad: -2,
  angry: -3,
  annoying: -2,
  annoyed: -2,
  slow: -1,
  broken: -2,
  bug: -1,
  bugs: -1,
  buggy: -2,
  crash: -2,
  crashes: -2,
  crashed: -2,
  fail: -2,
  failed: -2,
  fails: -2,
  failure: -2,
  error: -1,
  errors: -1,
  wrong: -2,
  useless: -3,
  disappointing: -2,
  disappointed: -2,
  frustrating: -2,
  frustrated: -2,
  confusing: -2,
  confused: -1,
  difficult: -1,
  hard: -1,
  expensive: -1,
  ugly: -2,
  unstable: -2,
  unreliable: -2,
  problem: -1,
  problems: -1,
  issue: -1,
  issues: -1,
  painful: -2,
  unhappy: -2,
  boring: -2,
  mess: -2,
  messy: -2,
  lost: -1,
  slowly: -1,
  unsafe: -2,
  incorrect: -2,
  inaccurate: -2,
  regret: -2,
  waste: -2,
};

const NEGATORS = new Set([
  'not',
  'no',
  'never',
  'none',
  'nobody',
  'nothing',
  'neither',
  'nor',
  'cannot',
  'without',
  'hardly',
  'barely',
  'scarcely',
]);
const INTENSIFIERS: Readonly<Record<string, number>> = {
  very: 1.5,
  really: 1.3,
  extremely: 1.8,
  incredibly: 1.8,
  absolutely: 1.6,
  so: 1.3,
  totally: 1.5,
  highly: 1.5,
  truly: 1.3,
  most: 1.3,
};
const DOWNTONERS: Readonly<Record<string, number>> = {
  slightly: 0.5,
  somewhat: 0.6,
  fairly: 0.8,
  rather: 0.8,
  kinda: 0.7,
  little: 0.7,
};

/** Words a negator reaches. */
const NEGATION_WINDOW = 3;
/** A negated word counts this much, with its sign flipped ("not good" is milder than "bad"). */
const NEGATION_FACTOR = -0.75;
const NORMALIZATION_ALPHA = 15;
const NEUTRAL_BAND = 0.05;
const MAX_REPORTED_MATCHES = 50;

export interface SentimentMatch {
  readonly term: string;
  readonly weight: number;
  readonly negated: boolean;
}

export interface SentimentResult {
  readonly label: 'positive' | 'negative' | 'neutral';
  /** In [-1, 1], rounded to 4 decimals. */
  readonly score: number;
  /** The un-normalized sum of weights. */
  readonly total: number;
  readonly wordCount: number;
  readonly matches: readonly SentimentMatch[];
}

function isNegator(word: string): boolean {
  return NEGATORS.has(word) || word.endsWith("n't");
}

export function scoreSentiment(text: string): SentimentResult {
  const tokens = tokenize(text);
  let total = 0;
  let wordCount = 0;
  let negationLeft = 0;
  let multiplier = 1;
  const matches: SentimentMatch[] = [];
  for (const token of tokens) {
    if (token.boundary) {
      negationLeft = 0;
      multiplier = 1;
      continue;
    }
    wordCount++;
    const word = token.text;
    if (isNegator(word)) {
      negationLeft = NEGATION_WINDOW;
      continue;
    }
    if (INTENSIFIERS[word] !== undefined || DOWNTONERS[word] !== undefined) {
      multiplier *= INTENSIFIERS[word] ?? DOWNTONERS[word];
      if (negationLeft > 0) negationLeft--;
      continue;
    }
    const base = Object.prototype.hasOwnProperty.call(LEXICON, word) ? LEXICON[word] : 0;
    if (base !== 0) {
      const negated = negationLeft > 0;
      const weight = round(base * multiplier * (negated ? NEGATION_FACTOR : 1), 4);
      total += weight;
      if (matches.length < MAX_REPORTED_MATCHES) matches.push({ term: word, weight, negated });
      negationLeft = 0;
      multiplier = 1;
      continue;
    }
    if (negationLeft > 0) negationLeft--;
    multiplier = 1;
  }
  total = round(total, 4);
  const score = round(total / Math.sqrt(total * total + NORMALIZATION_ALPHA), 4);
  const label = score >= NEUTRAL_BAND ? 'positive' : score <= -NEUTRAL_BAND ? 'negative' : 'neutral';
  return { label, score, total, wordCount, matches };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
