/**
 * Whether two path languages share a string: the exact test behind the route table's cache-safety
 * checks. A language is a sequence of tokens: single characters, one path segment (no `/`), IAM's `*`
 * (any run of characters, `/` included), or a greedy path remainder (one character or more, `/`
 * included). Plain data and one pure function: no route model, no I/O.
 *
 * IAM resource globs: `*` matches any run of characters and `?` exactly one; neither stops at `/`.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */

export type PathToken =
  | { readonly kind: 'char'; readonly c: string }
  /** One segment value written into a policy: one or more characters, none of them `/`. */
  | { readonly kind: 'seg' }
  /** One segment of a request path: zero or more characters, none of them `/` (`//` gives an empty one). */
  | { readonly kind: 'seg0' }
  /** IAM's `*`: any run of characters, `/` included, possibly empty. */
  | { readonly kind: 'star' }
  /** A greedy path remainder (`{proxy+}`): one character or more, `/` included. */
  | { readonly kind: 'rest' };

export const SEG: PathToken = { kind: 'seg' };
export const SEG0: PathToken = { kind: 'seg0' };
export const STAR: PathToken = { kind: 'star' };
export const REST: PathToken = { kind: 'rest' };

/** The characters of a literal string, as tokens. */
export function literalTokens(text: string): PathToken[] {
  return [...text].map((c) => ({ kind: 'char', c }));
}

/** One position of a small NFA: a character class, consumed once or any number of times (`loop`). */
interface Item {
  readonly cls: 'char' | 'noslash' | 'any';
  readonly c?: string;
  readonly loop: boolean;
}

function items(tokens: readonly PathToken[]): Item[] {
  const out: Item[] = [];
  for (const t of tokens) {
    switch (t.kind) {
      case 'char':
        out.push({ cls: 'char', c: t.c, loop: false });
        break;
      case 'seg':
        out.push({ cls: 'noslash', loop: false }, { cls: 'noslash', loop: true });
        break;
      case 'seg0':
        out.push({ cls: 'noslash', loop: true });
        break;
      case 'star':
        out.push({ cls: 'any', loop: true });
        break;
      case 'rest':
        out.push({ cls: 'any', loop: false }, { cls: 'any', loop: true });
        break;
    }
  }
  return out;
}

/** Is there one character both classes accept? */
function classesMeet(a: Item, b: Item): boolean {
  if (a.cls === 'char' && b.cls === 'char') return a.c === b.c;
  if (a.cls === 'char') return b.cls === 'any' || a.c !== '/';
  if (b.cls === 'char') return a.cls === 'any' || b.c !== '/';
  return true;
}

/**
 * Does some string belong to both languages? A search of the product of the two automata: each step
 * consumes one character both positions accept, and characters are chosen independently, so comparing
 * classes symbolically is exact. At most (|a|+1)(|b|+1) states, each visited once.
 */
export function languagesIntersect(a: readonly PathToken[], b: readonly PathToken[]): boolean {
  const A = items(a);
  const B = items(b);
  const width = B.length + 1;
  const seen = new Uint8Array((A.length + 1) * width);
  const stack = [0];
  seen[0] = 1;
  const visit = (i: number, j: number): void => {
    const k = i * width + j;
    if (seen[k] === 0) {
      seen[k] = 1;
      stack.push(k);
    }
  };
  while (stack.length > 0) {
    const k = stack.pop() as number;
    const i = Math.floor(k / width);
    const j = k % width;
    if (i === A.length && j === B.length) return true;
    if (i < A.length && A[i].loop) visit(i + 1, j);
    if (j < B.length && B[j].loop) visit(i, j + 1);
    if (i < A.length && j < B.length && classesMeet(A[i], B[j])) {
      visit(A[i].loop ? i : i + 1, B[j].loop ? j : j + 1);
    }
  }
  return false;
}
