import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { POWERTOOLS_SERVICE_NAME } from '../../core/config/environment-names.ts';
import { ScheduledFunction } from '../../lib/constructs/scheduled-function.ts';
import { FIXTURE_HANDLER, nagCheckedStack } from './helpers.ts';

const { stack } = nagCheckedStack();
const poller = new ScheduledFunction(stack, 'RestPoller', {
  schedule: Schedule.rate(Duration.minutes(1)),
  function: { entry: FIXTURE_HANDLER, serviceName: 'rest-poller', pipelineEnv: 'dev' },
});
new ScheduledFunction(stack, 'Trainer', {
  schedule: Schedule.cron({ hour: '2', minute: '0' }),
  enabled: false,
  deliveryRetryAttempts: 0,
  maxTickAge: Duration.hours(1),
  function: { entry: FIXTURE_HANDLER, serviceName: 'data-connector', pipelineEnv: 'dev' },
});
const template = Template.fromStack(stack);
const functionArn = { 'Fn::GetAtt': [stack.getLogicalId(poller.function.node.defaultChild as never), 'Arn'] };

describe('ScheduledFunction', () => {
  it('invokes its PipelineFunction on the schedule, with bounded delivery retries', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: functionArn,
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      State: 'DISABLED',
    });
  });

  it('does not retry a failed run asynchronously: the next tick resumes from the checkpoint', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: stack.getLogicalId(poller.function.node.defaultChild as never) },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('lets only its own rule invoke the function', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: functionArn,
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RestPollerSchedule'), 'Arn'] },
    });
  });

  it('builds the function with the house defaults', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ [POWERTOOLS_SERVICE_NAME]: 'rest-poller' }) },
    });
  });

  it('rejects out-of-range retry settings, naming the value', () => {
    const { stack: s } = nagCheckedStack('Invalid');
    const fn = { entry: FIXTURE_HANDLER, serviceName: 'probe', pipelineEnv: 'dev' };
    const schedule = Schedule.rate(Duration.minutes(1));
    expect(
      () => new ScheduledFunction(s, 'A', { schedule, function: fn, deliveryRetryAttempts: 500 }),
    ).toThrow(/deliveryRetryAttempts 500/);
    expect(
      () => new ScheduledFunction(s, 'B', { schedule, function: fn, maxTickAge: Duration.seconds(5) }),
    ).toThrow(/maxTickAge "5 seconds"/);
  });
});
