/**
 * docs/security-testing.md names each surviving mutant by its function and the code it mutates, quoted
 * as the file under the entry's heading has it. This test checks every such entry against the source:
 * the function (or constant) is defined in that file and every quoted original is in it, so an entry
 * cannot outlive its code unnoticed when the file changes.
 *
 * An entry is a list item of the two mutant sections ("Surviving mutants judged equivalent" and
 * "Surviving mutants since killed or made equivalent") under a heading that quotes a source path. Its head runs to the
 * first `: ` outside backquotes: the first quoted span names the function, and each `→` is followed by
 * the replacement (quoted spans up to the next `,` or `;`), which is not looked for.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..');
const DOC = 'docs/security-testing.md';
const FIRST = '## Surviving mutants judged equivalent';
const END = '## Coverage gate';

interface Entry {
  readonly file: string | undefined;
  readonly line: number;
  readonly name: string | undefined;
  readonly originals: readonly string[];
}

/** The entries of the mutant sections of `doc`. */
export function mutantEntries(doc: string): Entry[] {
  const lines = doc.split('\n');
  const start = lines.indexOf(FIRST);
  const end = lines.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${DOC} has no '${FIRST}' ... '${END}' sections`);
  const entries: Entry[] = [];
  let file: string | undefined;
  let item: { line: number; text: string } | undefined;
  const flush = (): void => {
    if (item !== undefined) entries.push({ file, line: item.line, ...parseHead(item.text) });
    item = undefined;
  };
  for (let i = start + 1; i < end; i++) {
    const text = lines[i];
    if (text.startsWith('#')) {
      flush();
      file = /`((?:common|lambda|lib|local)\/[\w./-]+\.ts)`/.exec(text)?.[1];
    } else if (text.startsWith('- ')) {
      flush();
      item = { line: i + 1, text: text.slice(2) };
    } else if (item !== undefined && text.startsWith('  ')) {
      item.text += ` ${text.trim()}`;
    } else {
      flush();
    }
  }
  flush();
  return entries;
}

/** The function an entry names and the quoted originals of its head. */
function parseHead(text: string): { name: string | undefined; originals: string[] } {
  // Split into quoted spans and the text between them; the head ends at the first `: ` outside quotes.
  const parts = text.split('`');
  const head: { quoted: boolean; text: string }[] = [];
  for (let k = 0; k < parts.length; k++) {
    const quoted = k % 2 === 1;
    if (!quoted && parts[k].includes(': ')) {
      head.push({ quoted, text: parts[k].slice(0, parts[k].indexOf(': ')) });
      break;
    }
    head.push({ quoted, text: parts[k] });
  }
  const name = head[0]?.text === '' && head[1]?.quoted ? head[1].text : undefined;
  const originals: string[] = [];
  let replacing = false;
  for (const part of head) {
    if (part.quoted) {
      if (!replacing) originals.push(part.text);
      continue;
    }
    // After an arrow the spans are the replacement, up to the next `,` or `;`.
    const arrow = part.text.lastIndexOf('→');
    const sep = Math.max(part.text.lastIndexOf(','), part.text.lastIndexOf(';'));
    if (arrow >= 0 || sep >= 0) replacing = arrow > sep;
  }
  return { name, originals };
}

/** What is wrong with the entries, against the files they name (read by `read`). */
export function staleReferences(entries: readonly Entry[], read: (file: string) => string): string[] {
  const problems: string[] = [];
  for (const e of entries) {
    const at = `${DOC}:${e.line}`;
    if (e.file === undefined) {
      problems.push(`${at}: entry under a heading that names no source file`);
      continue;
    }
    if (e.name === undefined) {
      problems.push(`${at}: entry does not open with the quoted name of a function`);
      continue;
    }
    const source = read(e.file);
    const defined = new RegExp(`(?:function|const|let)\\s+${e.name.replace(/\W/g, '\\$&')}\\b`);
    if (!defined.test(source)) problems.push(`${at}: ${e.file} defines no '${e.name}'`);
    for (const code of e.originals.slice(1)) {
      if (!source.includes(code)) problems.push(`${at}: ${e.file} has no \`${code}\``);
    }
  }
  return problems;
}

const readSource = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

describe(DOC, () => {
  const entries = mutantEntries(readSource(DOC));

  it('names, for every surviving mutant, a function and code that its source file still has', () => {
    expect(staleReferences(entries, readSource)).toEqual([]);
  });

  it('checks every entry of the mutant sections (60 entries, 91 quoted spans besides the names, 11 source files)', () => {
    expect(entries.length).toBe(60);
    expect(entries.reduce((n, e) => n + e.originals.length - 1, 0)).toBe(91);
    expect(new Set(entries.map((e) => e.file)).size).toBe(11);
  });

  it('reports a quoted expression, a function or a heading that does not match the source', () => {
    const doc = [
      FIRST,
      '### `common/x.ts`',
      '- `f`, `a > 0` → `a >= 0`, and `b` → `c`: kept.',
      '- `f`, `a < 0` → `true`: gone.',
      '- `g`, `a > 0` → never: no such function.',
      '- `f`, the check `a > 0`',
      '  and `d; e` (two): spans a second line; `not looked for`.',
      '### No file here',
      '- `f`, `a > 0` → `true`: no file.',
      END,
    ].join('\n');
    const found = mutantEntries(doc);
    expect(found.map((e) => [e.name, e.originals])).toEqual([
      ['f', ['f', 'a > 0', 'b']],
      ['f', ['f', 'a < 0']],
      ['g', ['g', 'a > 0']],
      ['f', ['f', 'a > 0', 'd; e']],
      ['f', ['f', 'a > 0']],
    ]);
    expect(staleReferences(found, () => 'function f() { return a > 0 && b; } // d; e')).toEqual([
      `${DOC}:4: common/x.ts has no \`a < 0\``,
      `${DOC}:5: common/x.ts defines no 'g'`,
      `${DOC}:9: entry under a heading that names no source file`,
    ]);
  });
});
