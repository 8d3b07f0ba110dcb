/**
 * The history replay array job (lib/constructs/replay-array-job.ts) in the ML stack: a job definition
 * running the trainer image as `replay-day`, its own queue with room for every child, a daily rule
 * submitting it as an array of one child per day before training, and the grants it relies on.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { REPLAY_DAYS_DEFAULT } from '../../lib/stacks/ml-stack.ts';
import { synthPipeline } from './helpers.ts';

const dev = synthPipeline('dev');

describe('history replay array job', () => {
  const resourcesOf = (type: string) =>
    Object.entries(dev.ml.findResources(type)).filter(([id]) => id.startsWith('HistoryReplay'));

  type Definition = {
    Properties: {
      ContainerProperties: {
        Command: string[];
        Environment: { Name: string; Value: unknown }[];
        JobRoleArn: unknown;
      };
      RetryStrategy: { Attempts: number };
    };
  };
  const replayDefinition = () => (resourcesOf('AWS::Batch::JobDefinition')[0] as [string, Definition])[1];

  it('runs the trainer image as replay-day with REPLAY_DAYS, retried', () => {
    const { ContainerProperties: c, RetryStrategy } = replayDefinition().Properties;
    expect(c.Command).toEqual(['replay-day']);
    expect(c.Environment).toEqual(
      expect.arrayContaining([{ Name: 'REPLAY_DAYS', Value: String(REPLAY_DAYS_DEFAULT) }]),
    );
    expect(c.Environment.map((e) => e.Name)).toEqual(
      expect.arrayContaining(['BRONZE_BUCKET', 'DB_CLUSTER_ARN', 'DB_SECRET_ARN']),
    );
    expect(RetryStrategy.Attempts).toBe(2);
  });

  it('has its own compute environment with room for every child at once', () => {
    const [[, ce] = []] = resourcesOf('AWS::Batch::ComputeEnvironment');
    expect(
      (ce as { Properties: { ComputeResources: { MaxvCpus: number } } }).Properties.ComputeResources.MaxvCpus,
    ).toBe(REPLAY_DAYS_DEFAULT);
    expect(resourcesOf('AWS::Batch::JobQueue')).toHaveLength(1);
  });

  it('is submitted daily as an array job of one child per day, before the training job', () => {
    dev.ml.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(5 0 * * ? *)',
      Targets: Match.arrayWith([
        Match.objectLike({
          BatchParameters: Match.objectLike({ ArrayProperties: { Size: REPLAY_DAYS_DEFAULT } }),
        }),
      ]),
    });
  });

  it('runs with the trainer role: bronze readable, Data API callable', () => {
    const trainer = Object.entries(dev.ml.findResources('AWS::Batch::JobDefinition')).find(([id]) =>
      id.startsWith('TrainerJob'),
    )?.[1] as Definition;
    expect(replayDefinition().Properties.ContainerProperties.JobRoleArn).toEqual(
      trainer.Properties.ContainerProperties.JobRoleArn,
    );
    const policies = JSON.stringify(dev.ml.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('rds-data:ExecuteStatement');
    expect(policies).toContain('s3:GetObject');
  });
});
