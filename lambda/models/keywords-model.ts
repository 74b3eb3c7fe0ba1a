/**
 * The `keywords` demo model: the most frequent content words of a text. Deterministic, no I/O.
 * Tokenize, drop stopwords, numbers and words shorter than three letters, strip the possessive `'s`,
 * count, and rank by count (ties: first occurrence in the text).
 */
import { words } from './text-tokens';

const STOPWORDS = new Set(
  (
    "a about above after again against all also am an and any are aren't as at be because been before being " +
    "below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down " +
    "during each even ever every few for from further get gets got had hadn't has hasn't have haven't having " +
    "he her here hers herself him himself his how however i if in into is isn't it it's its itself just let " +
    'like made make many may me might more most much must my myself no nor not now of off often on once only ' +
    "or other our ours ourselves out over own same shall she should shouldn't since so some still such than " +
    "that that's the their theirs them themselves then there there's these they this those through to too " +
    "under until up upon us very was wasn't we were weren't what when where which while who whom whose why " +
    "will with within without won't would wouldn't yet you your yours yourself yourselves one two also via"
  ).split(' '),
);

export const DEFAULT_TOP_K = 10;
const MIN_LENGTH = 3;

export interface Keyword {
  readonly term: string;
  readonly count: number;
  /** count / number of content words, rounded to 4 decimals. */
  readonly frequency: number;
}

export interface KeywordsResult {
  readonly keywords: readonly Keyword[];
  readonly wordCount: number;
  readonly contentWordCount: number;
  readonly uniqueTerms: number;
}

export function extractKeywords(text: string, topK = DEFAULT_TOP_K): KeywordsResult {
  const all = words(text);
  const counts = new Map<string, { count: number; first: number }>();
  let contentWordCount = 0;
  all.forEach((w, i) => {
    const term = w.endsWith("'s") ? w.slice(0, -2) : w;
    if (term.length < MIN_LENGTH || STOPWORDS.has(term) || STOPWORDS.has(w) || /^\p{N}+$/u.test(term)) return;
    contentWordCount++;
    const seen = counts.get(term);
    if (seen) seen.count++;
    else counts.set(term, { count: 1, first: i });
  });
  const ranked = [...counts.entries()]
    .sort((a, b) => b[1].count - a[1].count || a[1].first - b[1].first)
    .slice(0, Math.max(1, Math.floor(topK)))
    .map(([term, { count }]) => ({
      term,
      count,
      frequency: Math.round((count / contentWordCount) * 10_000) / 10_000,
    }));
  return { keywords: ranked, wordCount: all.length, contentWordCount, uniqueTerms: counts.size };
}
