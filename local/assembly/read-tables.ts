/**
 * The DynamoDB tables of a template as the local gateway creates them (dynamodb-stand-in.ts): each
 * `AWS::DynamoDB::Table` (and `AWS::DynamoDB::GlobalTable`, what `TableV2` synthesizes) read black-box, its
 * key schema, attribute definitions, secondary indexes and TTL attribute, as CloudFormation would create it
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html).
 * A resource the reader cannot understand (hand-edited, a key schema built by an intrinsic function) is not
 * created; it is listed with the field that is wrong, and every other table is still served.
 */
import type { Resource, Resources } from './template';
import { literal } from './template';

const TABLE_TYPES: ReadonlySet<string> = new Set(['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable']);

export interface TableKeyElement {
  readonly AttributeName: string;
  readonly KeyType: 'HASH' | 'RANGE';
}

export interface TableAttribute {
  readonly AttributeName: string;
  readonly AttributeType: 'S' | 'N' | 'B';
}

export interface TableIndex {
  readonly IndexName: string;
  readonly KeySchema: readonly TableKeyElement[];
  readonly Projection: {
    readonly ProjectionType?: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
    readonly NonKeyAttributes?: readonly string[];
  };
}

/** One table of the template, as the stand-in creates it. */
export interface LocalTable {
  /** Its logical id in the template. */
  readonly logicalId: string;
  /** `aws:cdk:path` when the template records it, else the logical id. */
  readonly path: string;
  /**
   * The name the functions use: the template's literal `TableName`, else `local-<logical id>`, which is
   * what a `Ref` to the table resolves to in the functions' environment (read-assembly.ts).
   */
  readonly tableName: string;
  readonly keySchema: readonly TableKeyElement[];
  readonly attributeDefinitions: readonly TableAttribute[];
  readonly globalSecondaryIndexes: readonly TableIndex[];
  readonly localSecondaryIndexes: readonly TableIndex[];
  /**
   * The TTL attribute (`TimeToLiveSpecification`, when enabled). Items are not expired locally (nor
   * promptly by DynamoDB, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html):
   * the code reading them compares the expiry itself, as Keygate's stores do.
   */
  readonly ttlAttribute?: string;
}

/** A table resource the stand-in does not create, and why (one line naming the field). */
export interface UnsupportedTable {
  readonly logicalId: string;
  readonly reason: string;
}

export interface TemplateTables {
  readonly tables: readonly LocalTable[];
  readonly unsupported: readonly UnsupportedTable[];
}

/** Whether a logical id names a DynamoDB table of the template. */
export function isTable(resources: Resources, id: string | undefined): id is string {
  return id !== undefined && TABLE_TYPES.has(resources[id]?.Type ?? '');
}

/** The name a table has locally: its literal `TableName`, else `local-<logical id>`. */
export function localTableName(resources: Resources, id: string): string {
  return literal(resources[id]?.Properties?.TableName) ?? `local-${id}`;
}

/** Every table of the template: those the stand-in creates, and those it cannot, with why. */
export function readTables(resources: Resources): TemplateTables {
  const tables: LocalTable[] = [];
  const unsupported: UnsupportedTable[] = [];
  for (const [logicalId, r] of Object.entries(resources)) {
    if (!isTable(resources, logicalId)) continue;
    try {
      tables.push(readTable(resources, logicalId, r));
    } catch (e) {
      if (!(e instanceof TableShapeError)) throw e;
      unsupported.push({ logicalId, reason: `table ${logicalId} is not created locally: ${e.message}` });
    }
  }
  return { tables, unsupported };
}

/** A field of a table resource that is not what CloudFormation accepts (the message names it). */
class TableShapeError extends Error {}

function readTable(resources: Resources, logicalId: string, r: Resource): LocalTable {
  const p = r.Properties;
  if (!isRecord(p)) throw new TableShapeError('it has no Properties object');
  const attributeDefinitions = listOf(p.AttributeDefinitions, 'AttributeDefinitions', attributeOf);
  const keySchema = keySchemaOf(p.KeySchema, 'KeySchema');
  const globalSecondaryIndexes = optionalList(p.GlobalSecondaryIndexes, 'GlobalSecondaryIndexes', indexOf);
  const localSecondaryIndexes = optionalList(p.LocalSecondaryIndexes, 'LocalSecondaryIndexes', indexOf);
  const defined = new Set(attributeDefinitions.map((a) => a.AttributeName));
  const keys = [
    ...keySchema.map((k) => ['KeySchema', k] as const),
    ...[...globalSecondaryIndexes, ...localSecondaryIndexes].flatMap((i) =>
      i.KeySchema.map((k) => [`index ${i.IndexName}`, k] as const),
    ),
  ];
  for (const [where, k] of keys) {
    if (!defined.has(k.AttributeName))
      throw new TableShapeError(
        `${where} names '${k.AttributeName}', which AttributeDefinitions does not define`,
      );
  }
  const path = typeof r.Metadata?.['aws:cdk:path'] === 'string' ? r.Metadata['aws:cdk:path'] : logicalId;
  const ttlAttribute = ttlOf(p.TimeToLiveSpecification);
  return {
    logicalId,
    path,
    tableName: localTableName(resources, logicalId),
    keySchema,
    attributeDefinitions,
    globalSecondaryIndexes,
    localSecondaryIndexes,
    ...(ttlAttribute ? { ttlAttribute } : {}),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function listOf<T>(v: unknown, field: string, item: (v: unknown, at: string) => T): T[] {
  if (!Array.isArray(v) || v.length === 0) throw new TableShapeError(`${field} must be a non-empty list`);
  return v.map((x, i) => item(x, `${field}[${i}]`));
}

function optionalList<T>(v: unknown, field: string, item: (v: unknown, at: string) => T): T[] {
  return v === undefined ? [] : listOf(v, field, item);
}

function nameOf(v: unknown, at: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new TableShapeError(`${at} must be a plain string`);
  return v;
}

function attributeOf(v: unknown, at: string): TableAttribute {
  if (!isRecord(v)) throw new TableShapeError(`${at} must be an object`);
  const type = v.AttributeType;
  if (type !== 'S' && type !== 'N' && type !== 'B')
    throw new TableShapeError(`${at}.AttributeType must be S, N or B`);
  return { AttributeName: nameOf(v.AttributeName, `${at}.AttributeName`), AttributeType: type };
}

/** A key schema: the partition key (HASH), then at most a sort key (RANGE). */
function keySchemaOf(v: unknown, field: string): TableKeyElement[] {
  const keys = listOf(v, field, (x, at): TableKeyElement => {
    if (!isRecord(x)) throw new TableShapeError(`${at} must be an object`);
    if (x.KeyType !== 'HASH' && x.KeyType !== 'RANGE')
      throw new TableShapeError(`${at}.KeyType must be HASH or RANGE`);
    return { AttributeName: nameOf(x.AttributeName, `${at}.AttributeName`), KeyType: x.KeyType };
  });
  if (keys.length > 2 || keys[0].KeyType !== 'HASH' || (keys[1] && keys[1].KeyType !== 'RANGE'))
    throw new TableShapeError(`${field} must be a HASH key, then at most one RANGE key`);
  return keys;
}

function indexOf(v: unknown, at: string): TableIndex {
  if (!isRecord(v)) throw new TableShapeError(`${at} must be an object`);
  const projection = isRecord(v.Projection) ? v.Projection : {};
  const type = projection.ProjectionType;
  if (type !== undefined && type !== 'ALL' && type !== 'KEYS_ONLY' && type !== 'INCLUDE')
    throw new TableShapeError(`${at}.Projection.ProjectionType must be ALL, KEYS_ONLY or INCLUDE`);
  const nonKey = projection.NonKeyAttributes;
  if (nonKey !== undefined && !(Array.isArray(nonKey) && nonKey.every((n) => typeof n === 'string')))
    throw new TableShapeError(`${at}.Projection.NonKeyAttributes must be a list of names`);
  return {
    IndexName: nameOf(v.IndexName, `${at}.IndexName`),
    KeySchema: keySchemaOf(v.KeySchema, `${at}.KeySchema`),
    Projection: {
      ...(type ? { ProjectionType: type } : {}),
      ...(nonKey ? { NonKeyAttributes: nonKey as string[] } : {}),
    },
  };
}

/** The TTL attribute when TTL is enabled; a disabled or unreadable specification is no TTL. */
function ttlOf(v: unknown): string | undefined {
  if (!isRecord(v) || v.Enabled !== true) return undefined;
  return typeof v.AttributeName === 'string' ? v.AttributeName : undefined;
}
