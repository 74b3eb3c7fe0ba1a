/**
 * A local stand-in for the stack's DynamoDB tables: dynalite (an implementation of the DynamoDB HTTP API,
 * in memory) on 127.0.0.1 at a free port, with every table of the template created as it reads
 * (read-tables.ts). The functions reach it through the AWS SDK's service-specific endpoint variable
 * `AWS_ENDPOINT_URL_DYNAMODB`, which SDK v3 clients honour unchanged
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html), so the shipped code (the
 * back-channel logout's writes, the authorizer's revocation reads, the DPoP replay store) runs as deployed.
 *
 * dynalite and the DynamoDB client are loaded only for a stack with tables, from the project that runs the
 * gateway; the published package neither bundles nor declares them (docs/local-stack.md says why): when
 * either is missing, one line says what to install.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as DynamoDbSdk from '@aws-sdk/client-dynamodb';
import { AssemblyError } from './assembly-model';
import type { LocalTable, TableIndex, UnsupportedTable } from './read-tables';
import { readTables } from './read-tables';
import { DYNAMODB_CLIENT_MODULE, runtimeSdkEnvironment } from './runtime-sdk';
import type { Resources } from './template';

/** The stack's tables as served in this run; what a test needs to read or write them itself. */
export interface LocalTables {
  /** `http://127.0.0.1:<port>`; undefined when the stack has no table to create. */
  readonly endpoint?: string;
  /** The region the functions' clients sign for (the stack's). */
  readonly region: string;
  /** The credentials the functions sign with when the gateway has none of its own (the server checks none). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Every table created, in template order. */
  readonly tables: readonly LocalTable[];
  /** Table resources not created, each with one line naming the field that is wrong. */
  readonly unsupported: readonly UnsupportedTable[];
}

export interface DynamoDbStandIn {
  readonly tables: LocalTables;
  /** Variables to set in every function's environment so its SDK clients call the stand-in. */
  readonly environment: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** Signing keys of the run when the gateway's environment has no AWS credentials (dynalite checks none). */
const LOCAL_CREDENTIALS = { accessKeyId: 'AKIAKEYGATELOCAL0000', secretAccessKey: 'keygate-local-dynamodb' };

const INSTALL_HINT = `npm install --save-dev dynalite@^4 ${DYNAMODB_CLIENT_MODULE}@^3`;

type Dynalite = (options: Record<string, unknown>) => Server;

/** A module of the optional peer dependencies, or one line saying what to install. */
export function optionalPeer<T>(name: string, tableIds: readonly string[]): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(name) as T;
  } catch (e) {
    if ((e as { code?: string }).code !== 'MODULE_NOT_FOUND') throw e;
    throw new AssemblyError(
      `the stack's DynamoDB tables (${tableIds.join(', ')}) are served locally by dynalite, and its functions reach them with ${DYNAMODB_CLIENT_MODULE}; ${name} is not installed: ${INSTALL_HINT}`,
      { cause: e },
    );
  }
}

/** The functions' variables: the endpoint, and local keys unless the gateway passes its own through. */
function functionEnvironment(endpoint: string): Record<string, string> {
  const own = process.env.AWS_ACCESS_KEY_ID !== undefined || process.env.AWS_PROFILE !== undefined;
  return {
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    ...(own
      ? {}
      : {
          AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        }),
    ...runtimeSdkEnvironment(),
  };
}

/** Starts the server and creates the template's tables; a stack without tables starts nothing. */
export async function startDynamoDbStandIn(resources: Resources, region: string): Promise<DynamoDbStandIn> {
  const { tables, unsupported } = readTables(resources);
  const base = { region, credentials: { ...LOCAL_CREDENTIALS }, unsupported };
  if (tables.length === 0) {
    // No server, but the runtime's SDK still, as Lambda provides it to every function.
    return {
      tables: { ...base, tables: [] },
      environment: runtimeSdkEnvironment(),
      close: () => Promise.resolve(),
    };
  }
  const ids = tables.map((t) => t.logicalId);
  const dynalite = optionalPeer<Dynalite>('dynalite', ids);
  const sdk = optionalPeer<typeof DynamoDbSdk>(DYNAMODB_CLIENT_MODULE, ids);
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A copy: the SDK marks the credentials object it is given (`$source`).
  const client = new sdk.DynamoDBClient({
    endpoint,
    region,
    credentials: { ...LOCAL_CREDENTIALS },
    maxAttempts: 1,
  });
  const created: LocalTable[] = [];
  const refused: UnsupportedTable[] = [...unsupported];
  try {
    for (const t of tables) {
      try {
        await client.send(new sdk.CreateTableCommand(createTableInput(t)));
        created.push(t);
      } catch (e) {
        // dynalite validates as DynamoDB does (e.g. a name it refuses): that table alone is left out.
        refused.push({
          logicalId: t.logicalId,
          reason: `table ${t.logicalId} is not created locally: ${(e as Error).message}`,
        });
      }
    }
  } finally {
    client.destroy();
  }
  return {
    tables: { ...base, endpoint, tables: created, unsupported: refused },
    environment: functionEnvironment(endpoint),
    close,
  };
}

/** CreateTable's input for a table: on demand, as the stand-in has no capacity to provision. */
export function createTableInput(t: LocalTable): DynamoDbSdk.CreateTableCommandInput {
  return {
    TableName: t.tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [...t.keySchema],
    AttributeDefinitions: [...t.attributeDefinitions],
    ...(t.globalSecondaryIndexes.length > 0
      ? { GlobalSecondaryIndexes: t.globalSecondaryIndexes.map(indexInput) }
      : {}),
    ...(t.localSecondaryIndexes.length > 0
      ? { LocalSecondaryIndexes: t.localSecondaryIndexes.map(indexInput) }
      : {}),
  };
}

function indexInput(i: TableIndex): DynamoDbSdk.GlobalSecondaryIndex & DynamoDbSdk.LocalSecondaryIndex {
  const nonKey = i.Projection.NonKeyAttributes;
  return {
    IndexName: i.IndexName,
    KeySchema: [...i.KeySchema],
    Projection: {
      ...(i.Projection.ProjectionType ? { ProjectionType: i.Projection.ProjectionType } : {}),
      ...(nonKey ? { NonKeyAttributes: [...nonKey] } : {}),
    },
  };
}
