/**
 * `npm run eval -- --data <recording[,recording…]>`: replays Binance recordings (`*_raw_stream.txt.gz`)
 * through core/features, runs the purged walk-forward evaluation (containers/trainer) and prints ONE
 * JSON line: {"bench":"eval","n",…,"rmseRatioVsRandomWalk","corr","hitRate","baselines":{…}}.
 * Progress goes to stderr. Options: --folds N, --hp '<json>' (hyperparameters; the defaults are fixed
 * in advance, do not tune them on this output).
 */
import { parseArgs } from 'node:util';
import { parseHyperparameters } from '../containers/trainer/hyperparameters.ts';
import { datasetFromRecordings } from '../containers/trainer/recording-dataset.ts';
import { evalScorecard, runWalkForwardEval } from '../containers/trainer/walk-forward-eval.ts';
import { EXIT_USAGE, exitWithFailure } from '../local/cli-errors.ts';

const USAGE =
  'usage: npm run eval -- --data <recording.txt.gz[,recording2.txt.gz…]> [--folds 4] [--hp <json>]';
let values: { data?: string; folds?: string; hp?: string };
let hp: ReturnType<typeof parseHyperparameters>;
try {
  ({ values } = parseArgs({
    options: { data: { type: 'string' }, folds: { type: 'string' }, hp: { type: 'string' } },
    allowPositionals: false,
  }));
  if (!values.data) throw new Error(`--data is required (${USAGE})`);
  hp = parseHyperparameters({
    ...(values.hp ? JSON.parse(values.hp) : {}),
    ...(values.folds ? { folds: values.folds } : {}),
  });
} catch (error) {
  exitWithFailure('npm run eval', error, EXIT_USAGE);
}
const paths = values.data
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
try {
  const t0 = performance.now();
  const dataset = await datasetFromRecordings(paths);
  console.error(`[eval] replayed ${paths.length} file(s): ${dataset.rows.length} labelled rows`);
  const result = await runWalkForwardEval(dataset, hp, (k, of) => console.error(`[eval] fold ${k}/${of}`));
  const card = evalScorecard(result, dataset.source);
  card.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  process.stdout.write(`${JSON.stringify(card)}\n`);
} catch (error) {
  exitWithFailure('npm run eval', error);
}
