/**
 * Reads the model backend's usage lines from CloudWatch Logs with FilterLogEvents
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html): only
 * lines matching the usage filter pattern leave CloudWatch, page by page, up to a bound.
 */
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { USAGE_FILTER_PATTERN } from '../../common/usage-record';

/** 10,000 events a page at most: 100 pages are a million invocations, far more than one table shows. */
export const MAX_PAGES = 100;

export interface UsageQuery {
  readonly logGroupName: string;
  readonly startTime: number;
  readonly endTime: number;
}

export async function readUsageLines(
  client: CloudWatchLogsClient,
  query: UsageQuery,
): Promise<{ lines: string[]; truncated: boolean }> {
  const lines: string[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.send(
      new FilterLogEventsCommand({
        logGroupName: query.logGroupName,
        startTime: query.startTime,
        endTime: query.endTime,
        filterPattern: USAGE_FILTER_PATTERN,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    for (const e of res.events ?? []) if (typeof e.message === 'string') lines.push(e.message);
    nextToken = res.nextToken;
    if (!nextToken) return { lines, truncated: false };
  }
  return { lines, truncated: true };
}
