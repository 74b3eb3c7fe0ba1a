/**
 * The AWS glue of usage-key-registrar.ts: the records in DynamoDB, the keys in API Gateway. Loaded by
 * usage-keys.ts only when a tier is per-caller, on the first request that needs it; `@aws-sdk/*` is the
 * AWS SDK v3 the Lambda runtime ships.
 *
 * Permissions (granted by UsageTierPlans.grantCallerKeyRegistration): GetItem, PutItem, UpdateItem and
 * DeleteItem on the table; `apigateway:GET` on `/usageplans` (GetUsagePlans, to find the tier's plan);
 * `apigateway:POST` on `/apikeys` (CreateApiKey) and on `/usageplans/<id>/keys` of the per-caller tiers'
 * plans (CreateUsagePlanKey); `apigateway:GET` on `/apikeys` (the lookup by name after a ConflictException).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonapigatewaymanagement.html
 */
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
} from '@aws-sdk/client-api-gateway';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CALLER_KEY_PLAN_TAG, CALLER_KEY_TABLE_PARTITION_KEY as PK } from '../../common/usage-caller-keys';
import type {
  ApiKeyGateway,
  CallerKeyRecord,
  CallerKeyRecords,
  CallerKeyRegistrar,
} from './usage-key-registrar';
import { createCallerKeyRegistrar } from './usage-key-registrar';

export function dynamoDbCallerKeyRecords(client: DynamoDBClient, table: string): CallerKeyRecords {
  const key = (id: string) => ({ [PK]: { S: id } });
  return {
    async get(id) {
      const out = await client.send(
        new GetItemCommand({ TableName: table, Key: key(id), ConsistentRead: true }),
      );
      const item = out.Item;
      if (item === undefined) return undefined;
      const state = item.state?.S;
      if (state !== 'pending' && state !== 'registered') return undefined;
      const record: CallerKeyRecord = {
        state,
        claimedAt: Number(item.claimedAt?.N ?? 0),
        ...(item.apiKeyId?.S !== undefined ? { apiKeyId: item.apiKeyId.S } : {}),
      };
      return record;
    },
    async claim(id, claim, staleBefore) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              ...key(id),
              state: { S: 'pending' },
              tier: { S: claim.tier },
              caller: { S: claim.caller },
              claimedAt: { N: String(claim.claimedAt) },
            },
            // Once per caller: a new record, or the takeover of a claim whose container gave up.
            ConditionExpression: '(attribute_not_exists(#pk)) OR (#state = :pending AND #at < :stale)',
            ExpressionAttributeNames: { '#pk': PK, '#state': 'state', '#at': 'claimedAt' },
            ExpressionAttributeValues: { ':pending': { S: 'pending' }, ':stale': { N: String(staleBefore) } },
          }),
        );
        return true;
      } catch (error) {
        if (isNamed(error, 'ConditionalCheckFailedException')) return false;
        throw error;
      }
    },
    async complete(id, apiKeyId, at) {
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key(id),
          UpdateExpression: 'SET #state = :registered, apiKeyId = :keyId, registeredAt = :at',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':registered': { S: 'registered' },
            ':keyId': { S: apiKeyId },
            ':at': { N: String(at) },
          },
        }),
      );
    },
    async release(id, claimedAt) {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: table,
            Key: key(id),
            // Only this container's own pending claim.
            ConditionExpression: '#state = :pending AND #at = :at',
            ExpressionAttributeNames: { '#state': 'state', '#at': 'claimedAt' },
            ExpressionAttributeValues: { ':pending': { S: 'pending' }, ':at': { N: String(claimedAt) } },
          }),
        );
      } catch (error) {
        if (!isNamed(error, 'ConditionalCheckFailedException')) throw error;
      }
    },
  };
}

/** Pages of GetUsagePlans read at most (500 plans each; an account holds 300 by default). */
const MAX_PLAN_PAGES = 10;

export function apiGatewayKeys(client: APIGatewayClient): ApiKeyGateway {
  return {
    async findPlan(apiId, stage, tier) {
      let position: string | undefined;
      for (let page = 0; page < MAX_PLAN_PAGES; page++) {
        const out = await client.send(new GetUsagePlansCommand({ limit: 500, position }));
        const plan = out.items?.find(
          (p) =>
            p.tags?.[CALLER_KEY_PLAN_TAG] === tier &&
            (p.apiStages ?? []).some((s) => s.apiId === apiId && s.stage === stage),
        );
        if (plan?.id !== undefined) return plan.id;
        position = out.position;
        if (position === undefined) return undefined;
      }
      return undefined;
    },
    async createKey(name, value) {
      try {
        const out = await client.send(new CreateApiKeyCommand({ name, value, enabled: true }));
        if (out.id === undefined) throw new Error('CreateApiKey answered without an id');
        return out.id;
      } catch (error) {
        // A key with this value exists already (an earlier, interrupted registration): find it by name.
        if (!isNamed(error, 'ConflictException')) throw error;
        const found = await client.send(
          new GetApiKeysCommand({ nameQuery: name, includeValues: false, limit: 25 }),
        );
        const id = found.items?.find((k) => k.name === name)?.id;
        if (id === undefined) throw error;
        return id;
      }
    },
    async addToPlan(planId, keyId) {
      try {
        await client.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId, keyType: 'API_KEY' }));
      } catch (error) {
        // Already in the plan.
        if (!isNamed(error, 'ConflictException')) throw error;
      }
    },
  };
}

/** The registrar of a deployed authorizer: its table, the SDK's default credentials and Region. */
export function awsCallerKeyRegistrar(table: string): CallerKeyRegistrar {
  return createCallerKeyRegistrar({
    records: dynamoDbCallerKeyRecords(new DynamoDBClient({}), table),
    gateway: apiGatewayKeys(new APIGatewayClient({})),
  });
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}
