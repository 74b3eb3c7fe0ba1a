/**
 * Lays out a command's text output as an SVG terminal window: a title bar, the command line after a `$ `
 * prompt, then the output, in a monospace font on a dark background, one `<text>` element per line. ANSI
 * colour codes are stripped and lines longer than the window wrap, as a terminal of that width would.
 */
import { stripVTControlCharacters } from 'node:util';
import { escapeXml } from './svg-picture';

export const TERMINAL = {
  /** Advance of one 13 px DejaVu Sans Mono character (0.602 em). */
  charWidth: 7.83,
  fontSize: 13,
  lineHeight: 18,
  padding: 16,
  titleBar: 30,
} as const;

export interface TerminalOptions {
  /** The window's title. */
  readonly title: string;
  /** The command line, shown after a `$ ` prompt above its output. */
  readonly command: string;
  /** The output, as printed (ANSI codes allowed; they are removed). */
  readonly output: string;
  /** Characters per line before wrapping. @default - the longest line's, between 40 and 110 */
  readonly columns?: number;
}

export interface TerminalLine {
  readonly text: string;
  /** Part of the command line (drawn in the prompt's colour) or of its output. */
  readonly prompt: boolean;
}

export interface TerminalLayout {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
  /** The lines as drawn (command line first), after stripping and wrapping. */
  readonly lines: readonly TerminalLine[];
}

/** The output's lines, ANSI codes removed, tabs expanded, wrapped at `columns`; trailing blank lines dropped. */
export function terminalLines(output: string, columns: number): string[] {
  const lines: string[] = [];
  for (const raw of plainLines(output)) {
    const line = raw.replace(/\t/g, '    ').trimEnd();
    if (line.length === 0) lines.push('');
    for (let i = 0; i < line.length; i += columns) lines.push(line.slice(i, i + columns));
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function plainLines(output: string): string[] {
  return stripVTControlCharacters(output).replace(/\r\n?/g, '\n').split('\n');
}

export function terminalSvg(options: TerminalOptions): TerminalLayout {
  const { charWidth, fontSize, lineHeight, padding, titleBar } = TERMINAL;
  const command = `$ ${options.command}`;
  const longest = Math.max(...plainLines(options.output).map((l) => l.trimEnd().length), command.length);
  const columns = options.columns ?? Math.min(110, Math.max(40, longest));
  const lines: TerminalLine[] = [
    ...terminalLines(command, columns).map((text) => ({ text, prompt: true })),
    ...terminalLines(options.output, columns).map((text) => ({ text, prompt: false })),
  ];
  const width = Math.ceil(padding * 2 + columns * charWidth);
  const height = titleBar + padding * 2 + lines.length * lineHeight;
  const out = [
    // xml:space keeps runs of spaces (table columns) as printed.
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, Liberation Mono, monospace" font-size="${fontSize}" xml:space="preserve">`,
    `<rect width="${width}" height="${height}" rx="8" fill="#1e1f22"/>`,
    `<rect width="${width}" height="${titleBar}" rx="8" fill="#3a3b3f"/>`,
    `<rect y="${titleBar - 8}" width="${width}" height="8" fill="#3a3b3f"/>`,
    ...['#ff5f57', '#febc2e', '#28c840'].map(
      (fill, i) => `<circle cx="${padding + i * 20}" cy="${titleBar / 2}" r="6" fill="${fill}"/>`,
    ),
    `<text x="${width / 2}" y="${titleBar / 2 + 4.5}" text-anchor="middle" fill="#bdbdbd">${escapeXml(options.title)}</text>`,
  ];
  lines.forEach((line, i) => {
    if (line.text === '') return;
    out.push(
      `<text x="${padding}" y="${titleBar + padding + (i + 1) * lineHeight - 4}" fill="${line.prompt ? '#7ee787' : '#e6e6e6'}">${escapeXml(line.text)}</text>`,
    );
  });
  out.push('</svg>');
  return { svg: out.join('\n'), width, height, lines };
}
