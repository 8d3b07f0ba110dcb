/**
 * An EventBridge schedule invoking a PipelineFunction: the REST poller, the gap detector and the data
 * connector. Their work is checkpointed, so the next tick is the retry: a missed or failed run is
 * never replayed late, where it could overlap the run after it.
 */
import { Duration } from 'aws-cdk-lib';
import { Rule, type Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { invalidSetting } from '../invalid-setting.ts';
import { PipelineFunction, type PipelineFunctionProps } from './pipeline-function.ts';

export interface ScheduledFunctionProps {
  /** When to run, e.g. `Schedule.rate(Duration.minutes(1))`. */
  readonly schedule: Schedule;
  /** The function to build; its async retries default to 0 (see the module comment). */
  readonly function: PipelineFunctionProps;
  /**
   * Whether the schedule is enabled (disable to pause a poller without deleting it).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * How many times EventBridge retries delivering a tick it could not hand to Lambda.
   * @default 2
   */
  readonly deliveryRetryAttempts?: number;
  /**
   * How old a tick may get while EventBridge retries delivery; older ticks are dropped.
   * @default Duration.minutes(1) (one period of the fastest schedule)
   */
  readonly maxTickAge?: Duration;
}

/** A PipelineFunction with its EventBridge schedule. */
export class ScheduledFunction extends Construct {
  public readonly function: PipelineFunction;
  public readonly rule: Rule;

  public constructor(scope: Construct, id: string, props: ScheduledFunctionProps) {
    super(scope, id);
    const deliveryRetryAttempts = props.deliveryRetryAttempts ?? 2;
    if (
      !Number.isInteger(deliveryRetryAttempts) ||
      deliveryRetryAttempts < 0 ||
      deliveryRetryAttempts > 185
    ) {
      invalidSetting(
        `ScheduledFunction ${id}`,
        'deliveryRetryAttempts',
        deliveryRetryAttempts,
        'need 0 to 185',
      );
    }
    const maxTickAge = props.maxTickAge ?? Duration.minutes(1);
    const maxTickAgeS = maxTickAge.toSeconds();
    if (maxTickAgeS < 60 || maxTickAgeS > 86_400) {
      invalidSetting(
        `ScheduledFunction ${id}`,
        'maxTickAge',
        maxTickAge.toHumanString(),
        'need 60 s to 24 h',
      );
    }

    this.function = new PipelineFunction(this, 'Function', {
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
      ...props.function,
    });
    this.rule = new Rule(this, 'Schedule', {
      schedule: props.schedule,
      enabled: props.enabled ?? true,
      description: `Runs ${props.function.serviceName} on its schedule.`,
      targets: [
        new LambdaFunction(this.function, {
          retryAttempts: deliveryRetryAttempts,
          maxEventAge: maxTickAge,
        }),
      ],
    });
  }
}
