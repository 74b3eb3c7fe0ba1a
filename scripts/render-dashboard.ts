/**
 * Renders the layout of the default app's CloudWatch dashboard, as synthesized, to
 * docs/images/dashboard.png: each widget at its grid position and size, with its title and the metrics
 * (or query) it shows. The picture is drawn from the template, so it cannot drift from what deploys.
 *
 *   npm run docs:dashboard            (writes docs/images/dashboard.png)
 *   npm run docs:dashboard -- out.png (anywhere else)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildKeygateApp } from '../lib/app/build-app';
import { buildLambdas } from './build-lambdas';
import type { DashboardWidget } from './dashboard-body';
import { dashboardWidgets, metricIdentity, metricOptions } from './dashboard-body';
import { escapeXml as escape, writePng } from './pictures/svg-picture';

const COLUMN = 50; // px per grid column (CloudWatch dashboards are 24 columns wide)
const ROW = 40; // px per grid row
const MARGIN = 20;
const HEADER = 56;
const FONT = 12;
const LINE = 16;
const CHAR = 6.9; // average advance of a 12 px DejaVu Sans character, for truncation

/** Synthesizes the default app and returns its stack name and dashboard widgets. */
export async function synthesizedDashboard(): Promise<{ stack: string; widgets: DashboardWidget[] }> {
  await buildLambdas();
  const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-dashboard-')) });
  const stack = buildKeygateApp(app);
  const dashboards = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  if (dashboards.length !== 1) throw new Error(`expected one dashboard, found ${dashboards.length}`);
  return { stack: stack.stackName, widgets: dashboardWidgets(dashboards[0].Properties.DashboardBody) };
}

function fit(s: string, px: number): string {
  const max = Math.floor(px / CHAR);
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}

interface MetricLine {
  readonly namespace: string;
  readonly name: string;
  readonly dims: string[];
  readonly label: string;
  readonly stat: string;
}

const shortRef = (v: unknown): string =>
  String(v)
    .replace(/<Ref ([A-Za-z]+?)[0-9A-F]{8}>/g, '$1')
    .replace(/^Keygate\/.*/, 'Keygate');

/**
 * What a metric widget plots: the namespace and dimensions its metrics share once, then one line per
 * metric (label, metric name, its own dimensions, statistic) or per math expression.
 */
function metricLines(w: DashboardWidget): string[] {
  const lines = w.properties.metrics ?? [];
  const plain: MetricLine[] = [];
  const out: string[] = [];
  for (const line of lines) {
    const o = metricOptions(line);
    if (typeof o.expression === 'string') {
      out.push(`${String(o.label ?? o.id)} = ${o.expression}`);
      continue;
    }
    if (o.visible === false) continue;
    const [namespace, name, ...rest] = metricIdentity(line).map(shortRef);
    const dims: string[] = [];
    for (let i = 0; i + 1 < rest.length; i += 2) dims.push(`${rest[i]}=${rest[i + 1]}`);
    plain.push({ namespace, name, dims, label: String(o.label ?? name), stat: String(o.stat ?? '') });
  }
  if (plain.length === 0) return out;
  const shared = plain[0].dims.filter((d) => plain.every((m) => m.dims.includes(d)));
  const namespaces = new Set(plain.map((m) => m.namespace));
  const head = [...(namespaces.size === 1 ? [plain[0].namespace] : []), ...shared].join('  ');
  const body = plain.map((m) => {
    const own = m.dims.filter((d) => !shared.includes(d) && !d.endsWith(`=${m.label}`));
    const ns = namespaces.size === 1 ? '' : `${m.namespace} `;
    const stat = m.stat ? ` (${m.stat})` : '';
    const what = `${ns}${m.name}${own.length ? ` {${own.join(', ')}}` : ''}${stat}`;
    return m.label === m.name ? what : `${m.label}: ${what}`;
  });
  return [...(head ? [`[${head}]`] : []), ...body, ...out];
}

function widgetLines(w: DashboardWidget): string[] {
  if (w.type === 'text') return (w.properties.markdown ?? '').replace(/^#+ /gm, '').split('\n');
  if (w.type === 'log') {
    const [source, ...query] = (w.properties.query ?? '').split(/\s*\|\s*|\n/).filter((l) => l.trim());
    return [
      `log group: ${shortRef(source.replace(/^SOURCE '(.*)'$/, '$1'))}`,
      ...query.map((q) => `| ${q.trim()}`),
    ];
  }
  return metricLines(w);
}

export function renderSvg(stack: string, widgets: DashboardWidget[]): string {
  const cols = 24;
  const rows = Math.max(...widgets.map((w) => w.y + w.height));
  const width = MARGIN * 2 + cols * COLUMN;
  const height = HEADER + MARGIN + rows * ROW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Liberation Sans, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="#f2f3f3"/>`,
    `<text x="${MARGIN}" y="30" font-size="18" font-weight="bold" fill="#16191f">CloudWatch dashboard of ${escape(stack)} (layout, from the synthesized template)</text>`,
    `<text x="${MARGIN}" y="48" font-size="12" fill="#545b64">${widgets.length} widgets on the 24-column grid; each box lists what its graph plots. Rendered by scripts/render-dashboard.ts.</text>`,
  ];
  for (const w of widgets) {
    const x = MARGIN + w.x * COLUMN + 3;
    const y = HEADER + w.y * ROW + 3;
    const wpx = w.width * COLUMN - 6;
    const hpx = w.height * ROW - 6;
    const kind = w.type === 'log' ? 'Logs Insights' : w.type === 'text' ? 'text' : 'metrics';
    const title = w.properties.title ?? 'Keygate';
    // Titles are bold 14 px (about 1.35 times a body character); the kind tag yields to a long title.
    const titleRoom = (wpx - 20) / 1.35;
    const tag = title.length * CHAR + kind.length * CHAR + 30 < titleRoom;
    out.push(
      `<rect x="${x}" y="${y}" width="${wpx}" height="${hpx}" rx="4" fill="#ffffff" stroke="#aab7b8"/>`,
      `<text x="${x + 10}" y="${y + 20}" font-size="14" font-weight="bold" fill="#16191f">${escape(fit(title, titleRoom))}</text>`,
      ...(tag
        ? [
            `<text x="${x + wpx - 10}" y="${y + 20}" font-size="11" text-anchor="end" fill="#687078">${kind}</text>`,
          ]
        : []),
    );
    const lines = widgetLines(w);
    const room = Math.floor((hpx - 34) / LINE);
    const shown =
      lines.length > room ? [...lines.slice(0, room - 1), `+ ${lines.length - room + 1} more`] : lines;
    shown.forEach((l, i) => {
      const head = l.startsWith('[');
      out.push(
        `<text x="${x + 10}" y="${y + 40 + i * LINE}" font-size="${FONT}" fill="${head ? '#687078' : '#232f3e'}">${escape(fit(head ? l.slice(1, -1) : l, wpx - 20))}</text>`,
      );
    });
  }
  out.push('</svg>');
  return out.join('\n');
}

async function main(): Promise<void> {
  const target = process.argv[2] ?? path.join(__dirname, '..', 'docs', 'images', 'dashboard.png');
  const { stack, widgets } = await synthesizedDashboard();
  const svg = renderSvg(stack, widgets);
  const bytes = writePng(svg, target);
  console.log(`wrote ${target} (${widgets.length} widgets, ${bytes} bytes)`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
