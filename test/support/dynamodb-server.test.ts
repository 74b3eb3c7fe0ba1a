import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type DynamoDbServer, startDynamoDbServer } from './dynamodb-server';

describe('the DynamoDB test server', () => {
  let server: DynamoDbServer;
  beforeAll(async () => {
    server = await startDynamoDbServer();
    await server.createTable({
      TableName: 'once',
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    });
  });
  afterAll(() => server.close());

  it('answers through the real SDK and refuses a second conditional put of the same key', async () => {
    const client = server.client();
    const put = new PutItemCommand({
      TableName: 'once',
      Item: { pk: { S: 'a' } },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    await client.send(put);
    await expect(client.send(put)).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const read = await client.send(new GetItemCommand({ TableName: 'once', Key: { pk: { S: 'a' } } }));
    expect(read.Item).toEqual({ pk: { S: 'a' } });
  });
});
