/**
 * Reads a synthesized CloudWatch dashboard: its DashboardBody is an Fn::Join of JSON text and references
 * (API ids, log group names); each reference becomes a readable placeholder (`<Ref Logical>`,
 * `<GetAtt Logical.Attr>`, `<AWS::Region>`) so the JSON parses and tests can compare exact values.
 */
export interface DashboardWidget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly query?: string;
    readonly metrics?: unknown[][];
    readonly [key: string]: unknown;
  };
}

export function placeholder(part: unknown): string {
  if (typeof part === 'string') return part;
  const o = part as Record<string, unknown>;
  if (typeof o.Ref === 'string') return o.Ref.startsWith('AWS::') ? `<${o.Ref}>` : `<Ref ${o.Ref}>`;
  const att = o['Fn::GetAtt'] as [string, string] | undefined;
  if (att) return `<GetAtt ${att[0]}.${att[1]}>`;
  throw new Error(`unexpected dashboard body part ${JSON.stringify(part)}`);
}

/** The widgets of a DashboardBody property (a string, or an Fn::Join of strings and references). */
export function dashboardWidgets(body: unknown): DashboardWidget[] {
  const join = (body as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  const text = typeof body === 'string' ? body : join![1].map(placeholder).join(join![0]);
  return (JSON.parse(text) as { widgets: DashboardWidget[] }).widgets;
}

/** A metric line without its options: `[namespace, name, dim, value, ...]` or `{ expression }`. */
export function metricIdentity(line: unknown[]): unknown[] {
  const last = line[line.length - 1];
  return typeof last === 'object' && last !== null ? line.slice(0, -1) : line;
}

/** The option object of a metric line (label, stat, period, ...). */
export function metricOptions(line: unknown[]): Record<string, unknown> {
  const last = line[line.length - 1];
  return typeof last === 'object' && last !== null ? (last as Record<string, unknown>) : {};
}
