import { describe, expect, test } from 'vitest';
import { TERMINAL, terminalLines, terminalSvg } from '../../scripts/pictures/terminal-svg';

/** The `<text>` elements of the output area: their y and their content. */
function bodyTexts(svg: string): { y: number; fill: string; text: string }[] {
  return [...svg.matchAll(/<text x="16" y="([\d.]+)" fill="(#[0-9a-f]+)">(.*)<\/text>/g)].map((m) => ({
    y: Number(m[1]),
    fill: m[2],
    text: m[3],
  }));
}

describe('terminal picture layout', () => {
  test('the command line, then each output line, one line height apart; blank lines keep their place', () => {
    const layout = terminalSvg({
      title: 'a <b> & c',
      command: 'echo "x" && cat <file>',
      output: '\u001b[32mgreen\u001b[0m row\n\na < b & c > d\n\n',
      columns: 40,
    });
    const { lineHeight, padding, titleBar } = TERMINAL;
    const first = titleBar + padding + lineHeight - 4;
    expect(layout.lines).toEqual([
      { text: '$ echo "x" && cat <file>', prompt: true },
      { text: 'green row', prompt: false },
      { text: '', prompt: false },
      { text: 'a < b & c > d', prompt: false },
    ]);
    expect(bodyTexts(layout.svg)).toEqual([
      { y: first, fill: '#7ee787', text: '$ echo &quot;x&quot; &amp;&amp; cat &lt;file&gt;' },
      { y: first + lineHeight, fill: '#e6e6e6', text: 'green row' },
      { y: first + 3 * lineHeight, fill: '#e6e6e6', text: 'a &lt; b &amp; c &gt; d' },
    ]);
    expect(layout.svg).toContain('>a &lt;b&gt; &amp; c</text>');
    expect(layout.height).toBe(titleBar + 2 * padding + 4 * lineHeight);
    expect(layout.width).toBe(Math.ceil(2 * padding + 40 * TERMINAL.charWidth));
    // Every drawn string is escaped: no raw < or & inside any text element.
    for (const m of layout.svg.matchAll(/<text[^>]*>(.*)<\/text>/g))
      expect(m[1]).not.toMatch(/<|&(?!amp;|lt;|gt;|quot;)/);
  });

  test('long lines wrap at the column count; the width follows the longest line when none is given', () => {
    expect(terminalLines('abcdefghij\tk', 4)).toEqual(['abcd', 'efgh', 'ij  ', '  k']);
    const layout = terminalSvg({ title: 't', command: 'c', output: 'x'.repeat(50) });
    expect(layout.width).toBe(Math.ceil(2 * TERMINAL.padding + 50 * TERMINAL.charWidth));
    expect(layout.lines).toHaveLength(2);
    const wide = terminalSvg({ title: 't', command: 'c', output: 'y'.repeat(250) });
    expect(wide.lines.map((l) => l.text.length)).toEqual([3, 110, 110, 30]);
  });
});
