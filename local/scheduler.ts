/**
 * A local stand-in for EventBridge schedules: invokes a handler every `everyMs` with the event shape
 * EventBridge sends for a scheduled rule, never two runs of one rule at a time (a run that overlaps
 * the next tick makes that tick skip, as a Lambda with reserved concurrency 1 would).
 */
import { randomUUID } from 'node:crypto';

export interface ScheduledEvent {
  version: '0';
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, never>;
}

export class LocalSchedule {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  runs = 0;
  failures = 0;
  skipped = 0;

  constructor(
    private readonly rule: string,
    private readonly everyMs: number,
    private readonly handler: (event: ScheduledEvent) => Promise<unknown>,
    private readonly region: string,
    private readonly log: (
      level: 'warn' | 'error',
      message: string,
      fields?: Record<string, unknown>,
    ) => void,
  ) {}

  /** First run after `firstAfterMs`, then every `everyMs`. */
  start(firstAfterMs = this.everyMs): void {
    this.timer = setTimeout(() => {
      this.fire();
      this.timer = setInterval(() => this.fire(), this.everyMs);
    }, firstAfterMs);
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    clearInterval(this.timer);
    await this.running;
  }

  /** One run now (also used at shutdown so the last minute is not left out). */
  async runNow(): Promise<void> {
    await this.running;
    this.fire();
    await this.running;
  }

  private fire(): void {
    if (this.running) {
      this.skipped++;
      return;
    }
    const event: ScheduledEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      region: this.region,
      resources: [`arn:aws:events:${this.region}:000000000000:rule/${this.rule}`],
      detail: {},
    };
    this.runs++;
    this.running = this.handler(event)
      .catch((error) => {
        this.failures++;
        this.log('error', `${this.rule} failed`, { error: String(error) });
      })
      .finally(() => {
        this.running = undefined;
      });
  }
}
