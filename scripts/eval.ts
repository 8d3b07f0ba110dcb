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

const { values } = parseArgs({
  options: { data: { type: 'string' }, folds: { type: 'string' }, hp: { type: 'string' } },
  allowPositionals: false,
});
if (!values.data) {
  console.error('Usage: npm run eval -- --data <recording.txt.gz[,recording2.txt.gz…]> [--folds 4]');
  process.exit(2);
}
const paths = values.data
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
const hp = parseHyperparameters({
  ...(values.hp ? JSON.parse(values.hp) : {}),
  ...(values.folds ? { folds: values.folds } : {}),
});
const t0 = performance.now();
const dataset = await datasetFromRecordings(paths);
console.error(`[eval] replayed ${paths.length} file(s): ${dataset.rows.length} labelled rows`);
const result = await runWalkForwardEval(dataset, hp, (k, of) => console.error(`[eval] fold ${k}/${of}`));
const card = evalScorecard(result, dataset.source);
card.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
process.stdout.write(`${JSON.stringify(card)}\n`);
