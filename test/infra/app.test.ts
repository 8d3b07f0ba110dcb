import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { PIPELINE_ENVS } from '../../lib/config/environment-config.ts';
import { addNagChecks } from '../../lib/nag.ts';
import { APP_CONTEXT, synthPipeline } from './helpers.ts';

// Synthesis with bundling and cdk-nag takes seconds on a quiet machine, far longer on a busy one.
describe('the CDK app', { timeout: 180_000 }, () => {
  it.each(PIPELINE_ENVS)('synthesizes %s with no unacknowledged cdk-nag AwsSolutions finding', (envName) => {
    // synthPipeline attaches cdk-nag; any unacknowledged finding makes synthesis throw.
    const { app, stacks } = synthPipeline(envName);
    expect(
      app.node
        .findAll()
        .filter(Stack.isStack)
        .map((s) => s.stackName),
    ).toEqual([
      `Btcusdt-${envName}-Network`,
      `Btcusdt-${envName}-Data`,
      `Btcusdt-${envName}-Observability`,
      `Btcusdt-${envName}-Ingest`,
      `Btcusdt-${envName}-Processing`,
      `Btcusdt-${envName}-Ml`,
    ]);
    expect(stacks.data.dependencies).toContain(stacks.network);
    expect(stacks.observability.dependencies).toContain(stacks.data);
    expect(stacks.ingest.dependencies).toEqual(
      expect.arrayContaining([stacks.network, stacks.data, stacks.observability]),
    );
    expect(stacks.processing.dependencies).toEqual(
      expect.arrayContaining([stacks.network, stacks.data, stacks.observability]),
    );
    expect(stacks.processing.dependencies).not.toContain(stacks.ingest);
    expect(stacks.ml.dependencies).toEqual(
      expect.arrayContaining([stacks.network, stacks.data, stacks.observability]),
    );
    expect(stacks.ml.dependencies).not.toContain(stacks.processing);
    expect(stacks.ml.dependencies).not.toContain(stacks.ingest);
    expect(stacks.network.region).toBe('ap-northeast-1');
  });

  it('really fails synthesis on a finding (the check above is not vacuous)', () => {
    const app = new App({ context: APP_CONTEXT });
    const stack = new Stack(app, 'Careless');
    new Bucket(stack, 'PlainBucket');
    addNagChecks(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  it('protects the prod stateful stack from deletion, and only that one', () => {
    const prod = synthPipeline('prod');
    expect(prod.stacks.data.terminationProtection).toBe(true);
    expect(prod.stacks.network.terminationProtection).toBe(false);
  });
});
