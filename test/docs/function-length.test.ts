/**
 * No function in lib/, lambda/, common/, local/ or realm/ runs over MAX_FUNCTION_LINES lines
 * (scripts/long-functions.ts), so each can be read in one sitting.
 */
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FUNCTION_LINES, longFunctions, longFunctionsIn } from '../../scripts/long-functions';

const ROOT = path.join(__dirname, '..', '..');

describe('function length', () => {
  it(`no function in lib/, lambda/, common/, local/ or realm/ is over ${MAX_FUNCTION_LINES} lines`, () => {
    const found = longFunctions(ROOT).map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
    expect(found).toEqual([]);
  });

  it('measures every kind of function from its first line to its last, by name (a 3-line one is not over 3)', () => {
    const body = (n: number) => Array.from({ length: n - 2 }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const source = [
      `export function declared() {\n${body(4)}\n}`,
      `const arrow = () => {\n${body(3)}\n};`,
      `class Box {\n  constructor() {\n${body(4)}\n  }\n  method() {\n${body(5)}\n  }\n}`,
      `const o = { handler: function () {\n${body(4)}\n} };`,
      `run(() => {\n${body(4)}\n});`,
      `function short() {\n${body(3)}\n}`,
    ].join('\n');
    expect(longFunctionsIn('x.ts', source, 3)).toEqual([
      { file: 'x.ts', name: 'declared', line: 1, lines: 4 },
      { file: 'x.ts', name: 'Box.constructor', line: 9, lines: 4 },
      { file: 'x.ts', name: 'Box.method', line: 13, lines: 5 },
      { file: 'x.ts', name: 'handler', line: 19, lines: 4 },
      { file: 'x.ts', name: '<anonymous>', line: 23, lines: 4 },
    ]);
  });
});
