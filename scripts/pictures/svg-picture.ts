/**
 * What the documentation pictures share (scripts/render-dashboard.ts, scripts/render-terminal.ts): XML
 * escaping of drawn text and rasterizing an SVG to PNG with resvg and the system's DejaVu fonts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Resvg } from '@resvg/resvg-js';

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Rasterizes `svg` at `zoom` times its size and writes it to `target`; returns the PNG's size in bytes. */
export function writePng(svg: string, target: string, zoom = 1.5): number {
  const png = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: zoom },
  })
    .render()
    .asPng();
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, png);
  return png.length;
}
