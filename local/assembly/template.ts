/** Small readers of CloudFormation template values, shared by the HTTP and REST API readers. */

export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export type Resources = Readonly<Record<string, Resource>>;

/** A plain string value; undefined for intrinsic functions (references, joins) the reader cannot resolve. */
export function literal(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Every logical id a value references (`Ref`, `Fn::GetAtt`), in order. */
export function referencedIds(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const getAtt = record['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') into.push(getAtt[0]);
    else if (typeof getAtt === 'string') into.push(getAtt.split('.')[0]);
    if (typeof record.Ref === 'string') into.push(record.Ref);
    for (const [key, item] of Object.entries(record)) if (key !== 'Fn::GetAtt') referencedIds(item, into);
  }
  return into;
}

/** The Lambda function a URI (integration or authorizer) invokes, when it names one of the template's. */
export function lambdaIdOf(resources: Resources, uri: unknown): string | undefined {
  return referencedIds(uri).find((id) => resources[id]?.Type === 'AWS::Lambda::Function');
}

/** The one resource id a property references (`{ Ref: id }` or a GetAtt of it). */
export function refOf(value: unknown): string | undefined {
  return referencedIds(value)[0];
}

/**
 * A header or query-string parameter an identity source names (`$request.header.X`,
 * `$request.querystring.X` on HTTP APIs; `method.request.header.X`, `method.request.querystring.X` on REST).
 */
export function identitySourceRef(source: string): { in: 'header' | 'query'; name: string } | undefined {
  const m = /^(?:\$request|method\.request)\.(header|querystring)\.([^\s,]+)$/.exec(source.trim());
  return m ? { in: m[1] === 'header' ? 'header' : 'query', name: m[2] } : undefined;
}
