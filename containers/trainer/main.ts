/**
 * Container entry (AWS Batch on Fargate, or SageMaker training: `docker run <image> train`). Trains,
 * evaluates against the baselines, writes `models/<version>/` and promotes only a winner. Exit code
 * 0 whether or not the model was promoted (refusing a loser is a normal outcome); 1 on failure.
 * `replay-day`: one child of the history replay array job instead (containers/trainer/replay-day.ts).
 */

import { serviceLogger } from '../../lambdas/shared/service-logger.ts';
import { runReplayDayJob } from './replay-day.ts';
import { runTrainingCli } from './run-training.ts';

const logger = serviceLogger('trainer');
// Started by a local run over an IPC channel (local/first-model.ts): die with it, even if it was
// killed with -9, rather than train on for nobody.
if (process.send) process.once('disconnect', () => process.exit(1));

if (process.argv[2] === 'replay-day') {
  // One child of the history replay array job (lib/constructs/replay-array-job.ts).
  try {
    logger.info('day replayed into the warehouse', { ...(await runReplayDayJob(process.env, new Date())) });
  } catch (error) {
    logger.error('day replay failed', { error: String((error as Error).stack ?? error) });
    process.exitCode = 1;
  }
} else {
  try {
    const result = await runTrainingCli({
      argv: process.argv.slice(2),
      env: process.env,
      now: () => new Date(),
      log: (message, fields) => logger.info(message, fields ?? {}),
    });
    logger.info('training finished', {
      version: result.version,
      promoted: result.promoted,
      reasons: result.metrics.promotion.reasons,
      heldOutRows: result.metrics.heldOut.n,
    });
  } catch (error) {
    logger.error('training failed', { error: String((error as Error).stack ?? error) });
    process.exitCode = 1;
  }
}
