/**
 * The deploy test's IAM caller: a Lambda function whose role is granted `GET /machine/models`. It calls the
 * route with Keygate's own SigV4 client (client/keygate-client.ts), signing with the function's role, and
 * returns the status and the listed model ids. integ-tests' HTTP assertion cannot sign requests, so the
 * assertion invokes this function instead.
 */
import { KeygateClient } from '../../client/keygate-client';

export interface IamCallerEvent {
  /** The API's base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/`. */
  readonly baseUrl: string;
}

export interface IamCallerResult {
  readonly status: number;
  /** The ids of the listed models (200), or the raw body otherwise. */
  readonly models?: string[];
  readonly body?: string;
}

export async function handler(event: IamCallerEvent): Promise<IamCallerResult> {
  const client = new KeygateClient({ baseUrl: event.baseUrl });
  const response = await client.request('GET', 'machine/models');
  if (response.status !== 200) return { status: response.status, body: response.text };
  const parsed = JSON.parse(response.text) as { models: { id: string }[] };
  return { status: response.status, models: parsed.models.map((m) => m.id).sort() };
}
