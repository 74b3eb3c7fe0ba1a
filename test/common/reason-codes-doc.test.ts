import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEYGATE_REASON_CODES, REASON_CODES, SIGN_IN_REASON_CODES } from '../../common/reason-codes';

const DOC = readFileSync(path.join(__dirname, '..', '..', 'docs', 'reason-codes.md'), 'utf8');

/** The codes in the first column of the tables of one section (`## <title>` up to the next `## `). */
function codesIn(section: string): string[] {
  const start = DOC.indexOf(`## ${section}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = DOC.indexOf('\n## ', start + 1);
  const text = DOC.slice(start, end === -1 ? undefined : end);
  return [...text.matchAll(/^\| `([a-z_]+)`\s*\|/gm)].map((m) => m[1]);
}

describe('docs/reason-codes.md', () => {
  it('lists exactly the authorizer codes, in their order', () => {
    expect(codesIn('Authorizer')).toEqual(Object.keys(REASON_CODES));
  });

  it('lists exactly the sign-in codes, in their order', () => {
    expect(codesIn('Sign-in routes')).toEqual(Object.keys(SIGN_IN_REASON_CODES));
  });

  it('is one closed list: no code twice, every code on the page once', () => {
    const all = Object.keys(KEYGATE_REASON_CODES);
    expect(all).toHaveLength(Object.keys(REASON_CODES).length + Object.keys(SIGN_IN_REASON_CODES).length);
    const listed = [...DOC.matchAll(/^\| `([a-z_]+)`\s*\|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...all].sort());
  });
});
