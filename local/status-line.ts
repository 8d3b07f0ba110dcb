/** One line of live figures while `npm start` runs: rewritten in place on a terminal, every 5 s otherwise. */
import type { LocalPipeline } from './local-pipeline.ts';

export class StatusLine {
  private timer: NodeJS.Timeout | undefined;
  private lastFrames = 0;
  private ticks = 0;

  constructor(
    private readonly pipeline: LocalPipeline,
    private readonly out: NodeJS.WriteStream,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.render(), 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.out.isTTY) this.out.write('\n');
  }

  private render(): void {
    const i = this.pipeline.ingestor?.report;
    if (!i) return;
    this.ticks++;
    const frames = i.frames.received;
    const health = i.health;
    const symbol = Object.keys(i.lastDepthUpdateId)[0];
    const line = [
      `t=${this.pipeline.elapsedS().toFixed(0)}s`,
      `frames/s=${frames - this.lastFrames}`,
      `frames=${frames}`,
      `decodeErrors=${i.frames.errors}`,
      `depthId=${symbol ? (i.lastDepthUpdateId[symbol] ?? '-') : '-'}`,
      `kinesisRecords=${i.publisher.recordsPut}`,
      `buffered=${i.publisher.bufferedBytes}B`,
      `ws=${health.components.websocket.status}`,
    ].join('  ');
    this.lastFrames = frames;
    if (this.out.isTTY) this.out.write(`\r${line}\x1b[K`);
    else if (this.ticks % 5 === 0) this.out.write(`${line}\n`);
  }
}
