/**
 * Worker-thread entry: replays the parts it is sent (replay-part.ts), one at a time, posting progress
 * and each result; a pool keeps a worker for many parts, so its start-up is paid once.
 */
import { parentPort } from 'node:worker_threads';
import { type ReplayPart, replayPart } from './replay-part.ts';

const port = parentPort;
port?.on('message', async (part: ReplayPart | null) => {
  if (part === null) {
    port.close();
    return;
  }
  try {
    const result = await replayPart(part, (events, share) =>
      port.postMessage({ type: 'progress', events, share }),
    );
    port.postMessage({ type: 'done', result });
  } catch (e) {
    port.postMessage({ type: 'failed', message: (e as Error).message, name: (e as Error).name });
  }
});
