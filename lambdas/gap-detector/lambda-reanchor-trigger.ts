/**
 * ReanchorTrigger in AWS: an asynchronous invoke (InvocationType Event) of the re-anchor Lambda with
 * `{ symbol, reason }`, as the aggregator does. Lambda queues it and retries it on failure.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ReanchorTrigger } from './ports.ts';

export class LambdaReanchorTrigger implements ReanchorTrigger {
  constructor(
    private readonly lambda: LambdaClient,
    private readonly functionName: string,
  ) {}

  async trigger(request: { symbol: string; reason: string }): Promise<void> {
    await this.lambda.send(
      new InvokeCommand({
        FunctionName: this.functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify({ symbol: request.symbol, reason: request.reason })),
      }),
    );
  }
}
