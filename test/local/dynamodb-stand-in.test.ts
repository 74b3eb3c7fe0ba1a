/**
 * The local DynamoDB stand-in of `keygate local`: the template's tables read black-box (a hand-edited one
 * is listed with the field that is wrong, never a crash), created on dynalite, and reached by the functions
 * in their own processes through `AWS_ENDPOINT_URL_DYNAMODB` with the runtime's SDK on NODE_PATH, as Lambda
 * provides it; a user's app whose function writes and reads its own table, served from its assembly.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient, GetItemCommand, ListTablesCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { App, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeygateAuthorizer, Requirement, RouteAuth, SecuredHttpApi, TrustedIssuer } from '../../lib';
import type { DynamoDbStandIn, LocalTables } from '../../local/assembly/dynamodb-stand-in';
import { optionalPeer, startDynamoDbStandIn } from '../../local/assembly/dynamodb-stand-in';
import { AssemblyError } from '../../local/assembly/assembly-model';
import { startFunctionProcess } from '../../local/assembly/function-process';
import type { FunctionProcess } from '../../local/assembly/function-process';
import { readTables } from '../../local/assembly/read-tables';
import { serveAssembly } from '../../local/assembly/serve-assembly';
import type { ServedAssembly } from '../../local/assembly/serve-assembly';
import type { Resources } from '../../local/assembly/template';
import { request } from '../../local/http/request';
import { banner } from '../../local/keygate-cli';

/** A table as CDK synthesizes it: partition and sort key, a TTL attribute, a global secondary index. */
const NOTES: Resources[string] = {
  Type: 'AWS::DynamoDB::Table',
  Properties: {
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
      { AttributeName: 'owner', AttributeType: 'S' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byOwner',
        KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
  },
  Metadata: { 'aws:cdk:path': 'Notes/Table/Resource' },
};

const table = (properties: unknown): Resources[string] =>
  ({ Type: 'AWS::DynamoDB::Table', Properties: properties }) as Resources[string];
const pk = {
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
};

describe('readTables', () => {
  it('reads a synthesized table: name, keys, index, TTL attribute', () => {
    const { tables, unsupported } = readTables({ NotesTable1A2B: NOTES });
    expect(unsupported).toEqual([]);
    expect(tables).toEqual([
      {
        logicalId: 'NotesTable1A2B',
        path: 'Notes/Table/Resource',
        tableName: 'local-NotesTable1A2B',
        keySchema: NOTES.Properties!.KeySchema,
        attributeDefinitions: NOTES.Properties!.AttributeDefinitions,
        globalSecondaryIndexes: NOTES.Properties!.GlobalSecondaryIndexes,
        localSecondaryIndexes: [],
        ttlAttribute: 'expiresAt',
      },
    ]);
  });

  it('keeps a literal TableName; a disabled TTL is no TTL attribute', () => {
    const { tables } = readTables({
      Named: table({
        ...pk,
        TableName: 'orders',
        TimeToLiveSpecification: { AttributeName: 'x', Enabled: false },
      }),
    });
    expect(tables.map((t) => [t.tableName, t.ttlAttribute])).toEqual([['orders', undefined]]);
  });

  it.each([
    ['no Properties', { Type: 'AWS::DynamoDB::Table' }, 'it has no Properties object'],
    [
      'a KeySchema built by a reference',
      table({ ...pk, KeySchema: { Ref: 'KeyParameter' } }),
      'KeySchema must be a non-empty list',
    ],
    [
      'no AttributeDefinitions',
      table({ KeySchema: pk.KeySchema }),
      'AttributeDefinitions must be a non-empty list',
    ],
    [
      'a key type that is not HASH or RANGE',
      table({ ...pk, KeySchema: [{ AttributeName: 'pk', KeyType: 'PRIMARY' }] }),
      'KeySchema[0].KeyType must be HASH or RANGE',
    ],
    [
      'a sort key first',
      table({ ...pk, KeySchema: [{ AttributeName: 'pk', KeyType: 'RANGE' }] }),
      'KeySchema must be a HASH key, then at most one RANGE key',
    ],
    [
      'a key attribute name that is a reference',
      table({ ...pk, KeySchema: [{ AttributeName: { Ref: 'P' }, KeyType: 'HASH' }] }),
      'KeySchema[0].AttributeName must be a plain string',
    ],
    [
      'an attribute type DynamoDB has not',
      table({ ...pk, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'STRING' }] }),
      'AttributeDefinitions[0].AttributeType must be S, N or B',
    ],
    [
      'a key attribute not defined',
      table({ ...pk, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }),
      "KeySchema names 'id', which AttributeDefinitions does not define",
    ],
    [
      'an index on an attribute not defined',
      table({
        ...pk,
        GlobalSecondaryIndexes: [
          { IndexName: 'i', KeySchema: [{ AttributeName: 'owner', KeyType: 'HASH' }] },
        ],
      }),
      "index i names 'owner', which AttributeDefinitions does not define",
    ],
    [
      'an index without a name',
      table({ ...pk, LocalSecondaryIndexes: [{ KeySchema: pk.KeySchema }] }),
      'LocalSecondaryIndexes[0].IndexName must be a plain string',
    ],
  ])('lists a hand-edited table with %s, with the field, and reads the others', (_name, broken, reason) => {
    const { tables, unsupported } = readTables({
      Broken: broken as Resources[string],
      NotesTable1A2B: NOTES,
    });
    expect(unsupported).toEqual([
      { logicalId: 'Broken', reason: `table Broken is not created locally: ${reason}` },
    ]);
    expect(tables.map((t) => t.logicalId)).toEqual(['NotesTable1A2B']);
  });

  it('says in one line what to install when an optional peer dependency is missing', () => {
    expect(() => optionalPeer('keygate-no-such-module', ['TableA', 'TableB'])).toThrow(
      new AssemblyError(
        "the stack's DynamoDB tables (TableA, TableB) are served locally by dynalite, and its functions reach them with @aws-sdk/client-dynamodb; keygate-no-such-module is not installed: npm install --save-dev dynalite@^4 @aws-sdk/client-dynamodb@^3",
      ),
    );
  });

  it('ignores resources of other types', () => {
    expect(readTables({ Fn: { Type: 'AWS::Lambda::Function', Properties: {} } })).toEqual({
      tables: [],
      unsupported: [],
    });
  });
});

describe('the DynamoDB stand-in', () => {
  let standIn: DynamoDbStandIn;
  let client: DynamoDBClient;
  let fn: FunctionProcess | undefined;
  const clientOf = (t: LocalTables) =>
    new DynamoDBClient({
      endpoint: t.endpoint,
      region: t.region,
      credentials: t.credentials,
      maxAttempts: 1,
    });

  beforeAll(async () => {
    standIn = await startDynamoDbStandIn(
      {
        NotesTable1A2B: NOTES,
        // dynalite refuses a name of two characters, as DynamoDB does: that table alone is left out.
        Short: table({ ...pk, TableName: 'ab' }),
        Broken: { Type: 'AWS::DynamoDB::Table' },
      },
      'eu-west-1',
    );
    client = clientOf(standIn.tables);
  });
  afterAll(async () => {
    fn?.close();
    client?.destroy();
    await standIn?.close();
  });

  it('creates the tables it can read, and lists the others with why', async () => {
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['local-NotesTable1A2B']);
    expect(standIn.tables.tables.map((t) => t.tableName)).toEqual(['local-NotesTable1A2B']);
    expect(standIn.tables.unsupported.map((u) => u.logicalId)).toEqual(['Broken', 'Short']);
    expect(standIn.tables.unsupported[0].reason).toBe(
      'table Broken is not created locally: it has no Properties object',
    );
    expect(standIn.tables.unsupported[1].reason).toMatch(/^table Short is not created locally: .*TableName/);
    expect(standIn.tables.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(standIn.environment.AWS_ENDPOINT_URL_DYNAMODB).toBe(standIn.tables.endpoint);
  });

  it('a function in a child process writes and reads through it, with the runtime SDK on its NODE_PATH', async () => {
    // A folder outside any node_modules tree: the SDK is found only as on Lambda, through NODE_PATH.
    const codeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-dynamo-fn-'));
    fs.writeFileSync(
      path.join(codeDir, 'index.js'),
      `const { DynamoDBClient, PutItemCommand, GetItemCommand } = require('@aws-sdk/client-dynamodb');
const client = new DynamoDBClient({});
exports.handler = async (event) => {
  const Key = { pk: { S: event.id }, sk: { N: '1' } };
  await client.send(new PutItemCommand({ TableName: process.env.NOTES_TABLE, Item: { ...Key, note: { S: event.note } } }));
  const read = await client.send(new GetItemCommand({ TableName: process.env.NOTES_TABLE, Key, ConsistentRead: true }));
  return { note: read.Item.note.S };
};`,
    );
    fn = startFunctionProcess({
      name: 'Notes',
      codeDir,
      handler: 'index.handler',
      timeoutSeconds: 10,
      environment: { ...standIn.environment, AWS_REGION: 'eu-west-1', NOTES_TABLE: 'local-NotesTable1A2B' },
    });
    const out = (await fn.invoke({ id: 'n1', note: 'written in the child' })) as {
      note: string;
      endpoint: string;
    };
    expect(out).toEqual({ note: 'written in the child' });
    const item = await client.send(
      new GetItemCommand({ TableName: 'local-NotesTable1A2B', Key: { pk: { S: 'n1' }, sk: { N: '1' } } }),
    );
    expect(item.Item?.note).toEqual({ S: 'written in the child' });
  });
});

describe('keygate local: a user app with a DynamoDB table, and a hand-edited table beside it', () => {
  let served: ServedAssembly;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keygate-notes-app-'));
    const app = new App({ outdir: dir });
    const stack = new Stack(app, 'Notes', { env: { region: 'eu-west-1' } });
    const notes = new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    });
    const backend = new lambda.Function(stack, 'Backend', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(
        "const { DynamoDBClient, PutItemCommand } = require('@aws-sdk/client-dynamodb'); const c = new DynamoDBClient({}); exports.handler = async (event) => { await c.send(new PutItemCommand({ TableName: process.env.NOTES_TABLE, Item: { pk: { S: event.requestContext.authorizer.lambda.sub } } })); return { statusCode: 201, body: process.env.NOTES_TABLE }; };",
      ),
      environment: { NOTES_TABLE: notes.tableName },
    });
    notes.grantWriteData(backend);
    new SecuredHttpApi(stack, 'HttpApi', {
      authorizer: new KeygateAuthorizer(stack, 'Authorizer', {
        issuers: [
          TrustedIssuer.keycloakRealm({
            issuerUrl: 'https://sso.example.com/realms/notes',
            allowedClients: ['notes-web'],
          }),
        ],
      }),
      routes: [
        {
          method: HttpMethod.POST,
          path: '/notes',
          backend,
          auth: RouteAuth.keycloak(Requirement.anyOf({ realmRoles: ['writer'] })),
        },
      ],
    });
    app.synth();
    // A table resource edited by hand after synthesis: its key schema became a parameter reference.
    const file = path.join(dir, 'Notes.template.json');
    const template = JSON.parse(fs.readFileSync(file, 'utf8'));
    template.Resources.EditedTable = table({ ...pk, KeySchema: { Ref: 'KeyParameter' } });
    fs.writeFileSync(file, JSON.stringify(template));
    served = await serveAssembly({ app: dir });
  });
  afterAll(() => served?.close());

  it('creates the table the function names by Ref, and lists the edited one with why', () => {
    expect(served.tables.tables.map((t) => t.logicalId)).toEqual([
      expect.stringMatching(/^Table[0-9A-F]{8}$/),
    ]);
    expect(served.tables.unsupported).toEqual([
      {
        logicalId: 'EditedTable',
        reason: 'table EditedTable is not created locally: KeySchema must be a non-empty list',
      },
    ]);
  });

  it('the banner names the endpoint and the tables, and says why the edited one is left out', () => {
    const lines = banner(served).split('\n');
    expect(lines.filter((l) => l.includes('DynamoDB') || l.includes('not created locally'))).toEqual([
      `  DynamoDB ${served.tables.endpoint} (local stand-in): ${served.tables.tables[0].tableName}`,
      '  table EditedTable is not created locally: KeySchema must be a non-empty list',
    ]);
  });

  it('the function writes to it under the name the template resolves, and the test reads it back', async () => {
    const token = await served.issuer!.mint({ username: 'granted' });
    const res = await request(`${served.apis[0].url}/notes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    const name = served.tables.tables[0].tableName;
    expect({ status: res.status, body: res.body }).toEqual({ status: 201, body: name });
    const client = new DynamoDBClient({
      endpoint: served.tables.endpoint,
      region: served.tables.region,
      credentials: served.tables.credentials,
    });
    try {
      const items = (await client.send(new ScanCommand({ TableName: name }))).Items ?? [];
      expect(items).toHaveLength(1);
      expect(items[0].pk.S).toMatch(/.+/);
    } finally {
      client.destroy();
    }
  });
});
