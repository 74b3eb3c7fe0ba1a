import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { extractKeywords } from '../../../lambda/models/keywords-model';
import { scoreSentiment } from '../../../lambda/models/sentiment-model';
import { tokenize } from '../../../lambda/models/text-tokens';

describe('sentiment model', () => {
  it.each<[string, 'positive' | 'negative' | 'neutral']>([
    ['This is great', 'positive'],
    ['This is terrible', 'negative'],
    ['The build ran on Tuesday', 'neutral'],
    ['This is not good', 'negative'],
    ["It isn't bad at all", 'positive'],
    ['Never slow, always reliable', 'positive'],
    ['I do not find it helpful', 'negative'],
    ['I do not think that it is helpful', 'positive'],
    ['Not the worst, but not the best either', 'neutral'],
  ])('labels %j as %s', (text, label) => {
    expect(scoreSentiment(text).label).toBe(label);
  });

  test('a negator flips and damps the next sentiment word', () => {
    expect(scoreSentiment('good').total).toBe(2);
    expect(scoreSentiment('not good').total).toBe(-1.5);
    expect(scoreSentiment('not good').matches).toEqual([{ term: 'good', weight: -1.5, negated: true }]);
  });

  test('negation reaches three words and stops at clause punctuation', () => {
    expect(scoreSentiment('not really very at all good').matches[0].negated).toBe(false);
    expect(scoreSentiment('not at all good').matches[0].negated).toBe(true);
    expect(scoreSentiment('not now. good').matches[0].negated).toBe(false);
  });

  test('intensifiers and downtoners scale the next sentiment word', () => {
    expect(scoreSentiment('very good').total).toBe(3);
    expect(scoreSentiment('slightly bad').total).toBe(-1);
    expect(scoreSentiment('extremely awful').total).toBe(-5.4);
  });

  test('the score is the VADER normalization of the total', () => {
    const r = scoreSentiment('great');
    expect(r.total).toBe(3);
    expect(r.score).toBe(Math.round((3 / Math.sqrt(9 + 15)) * 10_000) / 10_000);
  });

  test('curly apostrophes and upper case are normalized', () => {
    expect(scoreSentiment('It ISN\u2019T GOOD').total).toBe(-1.5);
  });

  test('keys of Object.prototype are not lexicon words', () => {
    expect(scoreSentiment('constructor toString __proto__ hasOwnProperty').total).toBe(0);
  });

  test('is deterministic and bounded for any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'grapheme' }), (text) => {
        const a = scoreSentiment(text);
        expect(scoreSentiment(text)).toEqual(a);
        expect(a.score).toBeGreaterThanOrEqual(-1);
        expect(a.score).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe('keywords model', () => {
  test('ranks content words by count, ties by first occurrence', () => {
    const r = extractKeywords(
      'The gateway checks tokens. The backend runs models; the gateway logs tokens and tokens.',
      3,
    );
    expect(r.keywords).toEqual([
      { term: 'tokens', count: 3, frequency: 0.3 },
      { term: 'gateway', count: 2, frequency: 0.2 },
      { term: 'checks', count: 1, frequency: 0.1 },
    ]);
    expect(r.contentWordCount).toBe(10);
    expect(r.wordCount).toBe(14);
  });

  test('drops stopwords, numbers, short words and the possessive s', () => {
    const r = extractKeywords("It's the model's 2024 run of an AI model at 42 ms");
    expect(r.keywords.map((k) => k.term)).toEqual(['model', 'run']);
  });

  test('handles letters of any script', () => {
    const r = extractKeywords('Модель модель данные ü ßtraße straße');
    expect(r.keywords.map((k) => [k.term, k.count])).toEqual([
      ['модель', 2],
      ['данные', 1],
      ['ßtraße', 1],
      ['straße', 1],
    ]);
  });

  test('an empty text yields no keywords', () => {
    expect(extractKeywords('the and of').keywords).toEqual([]);
  });
});

describe('tokenizer', () => {
  test('keeps clause punctuation as boundaries and words with apostrophes whole', () => {
    expect(tokenize("Don't stop, ok?").map((t) => [t.text, t.boundary])).toEqual([
      ["don't", false],
      ['stop', false],
      [',', true],
      ['ok', false],
      ['?', true],
    ]);
  });
});
