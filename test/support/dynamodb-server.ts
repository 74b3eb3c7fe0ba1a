/**
 * A DynamoDB-compatible server for tests: dynalite (an open-source implementation of the DynamoDB HTTP
 * API, in memory) on 127.0.0.1 at a free port, so the stores that use DynamoDB are tested through the real
 * AWS SDK client, its request signing and its conditional-write errors rather than a mock.
 *
 *   const server = await startDynamoDbServer();
 *   const client = server.client();            // a DynamoDBClient pointed at the server
 *   await server.createTable({ TableName: 't', KeySchema: [...], AttributeDefinitions: [...] });
 *   ...
 *   await server.close();
 *
 * dynalite does not expire items by their TTL attribute (nor does DynamoDB promptly: deletion can lag by
 * days, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html), so the code
 * under test must compare the expiry itself; tests can rely on expired items still being there.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
// dynalite ships no types; its factory returns a node http.Server.
// @ts-expect-error -- untyped CommonJS module
import dynalite from 'dynalite';

export interface DynamoDbServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** A client with fixed test credentials and region, pointed at this server. */
  client(): DynamoDBClient;
  /** Creates a table (on-demand billing unless given) and waits until it is active. */
  createTable(
    input: Omit<CreateTableCommandInput, 'BillingMode'> & { BillingMode?: 'PAY_PER_REQUEST' },
  ): Promise<void>;
  close(): Promise<void>;
}

export async function startDynamoDbServer(): Promise<DynamoDbServer> {
  const server = (dynalite as (options: Record<string, unknown>) => Server)({
    createTableMs: 0,
    deleteTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  const client = (): DynamoDBClient => {
    const made = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
      maxAttempts: 1,
    });
    clients.push(made);
    return made;
  };
  return {
    endpoint,
    client,
    async createTable(input) {
      const admin = client();
      await admin.send(new CreateTableCommand({ BillingMode: 'PAY_PER_REQUEST', ...input }));
      await waitUntilTableExists(
        { client: admin, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
        { TableName: input.TableName },
      );
    },
    async close() {
      for (const made of clients) made.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
