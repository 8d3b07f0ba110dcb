/**
 * What `cdk synth` bundles is what runs: every Lambda function of the Processing stack is taken from
 * cdk.out (its asset folder: index.mjs and only the files beside it), copied outside the repository
 * (no node_modules can rescue a file the bundle lacks), loaded in a fresh Node process the way
 * Lambda's Node.js runtime loads an ESM handler (`Handler` of the template, `<file>.<export>`), with
 * the variables the template gives it, and invoked once with the event AWS would send. Each must do
 * its job against real local stand-ins: Redis (a redis-server requiring the AUTH token the secret
 * holds), s3rver, the local venue's Binance REST, and one local AWS endpoint for Secrets Manager,
 * Lambda Invoke and the RDS Data API (test/support/local-aws-endpoint.ts, their real protocols; the
 * Data API runs its SQL on PGlite).
 *
 * One environment (dev) is synthesized: the bundles are the same in every environment (the same
 * entries, esbuild options and bundled files; only sizes and variable values differ, and those are
 * checked per environment in test/infra). Variable values that are CloudFormation references
 * (`Fn::ImportValue`, `Ref`) resolve to the local stand-ins by name; a reference this test does not
 * know fails it, and a variable the template forgot fails the handler's own parsing.
 */
import { type ChildProcess, execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PGlite } from '@electric-sql/pglite';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  AWS_REGION,
  BINANCE_API_KEY_SECRET_ARN,
  BINANCE_REST_URL,
  BINANCE_WS_URL,
  BRONZE_BUCKET,
  DB_CLUSTER_ARN,
  DB_NAME,
  DB_SECRET_ARN,
  HTTP_PORT,
  MODELS_BUCKET,
  POWERTOOLS_SERVICE_NAME,
  REANCHOR_FUNCTION_NAME,
  REDIS_AUTH_SECRET_ARN,
  REDIS_URL,
  STREAM_BESTBIDASK,
  STREAM_DEPTH,
  STREAM_TRADE,
  TRAINER_DATA,
} from '../../core/config/environment-names.ts';
import { Aggregator } from '../../lambdas/aggregator/aggregator.ts';
import { RedisHotState } from '../../lambdas/shared/redis/redis-hot-state.ts';
import { INGESTOR_BUILD_CONTEXT, INGESTOR_DOCKERFILE } from '../../lib/stacks/ingest-stack.ts';
import {
  INFERENCE_BUILD_CONTEXT,
  INFERENCE_DOCKERFILE,
  TRAINER_BUILD_CONTEXT,
  TRAINER_DOCKERFILE,
} from '../../lib/stacks/ml-stack.ts';
import { type KinesisEmulator, startKinesisEmulator } from '../../local/emulators/kinesis-emulator.ts';
import { type S3Emulator, startS3Emulator } from '../../local/emulators/s3-emulator.ts';
import { startVenue, type Venue } from '../../local/venue/index.ts';
import { WasmSbeDecoder } from '../../native/wasm-decoder.ts';
import { bundleDir, synthPipeline } from '../infra/helpers.ts';
import { toRecords } from '../support/depth-feed.ts';
import { type LocalAwsEndpoint, startLocalAwsEndpoint } from '../support/local-aws-endpoint.ts';
import { MarketScript, streamOf } from '../support/market-frames.ts';
import { hasSharedData, RECORDING_2024, sharedDataPath } from '../support/shared-data.ts';

// The venue's live SBE depth stream: the aggregator's batch and, while the re-anchor runs, the diffs
// the (real, in-process) aggregator keeps logging, as it does in AWS while a book is rebuilt.
const liveDepth: Uint8Array[] = [];
let liveSocket: WebSocket | undefined;
let liveTaken = 0;
const takeLive = () => {
  const frames = liveDepth.slice(liveTaken);
  liveTaken = liveDepth.length;
  return frames;
};

const BOOTSTRAP = fileURLToPath(new URL('../support/lambda-bootstrap.mjs', import.meta.url));
const REGION = 'ap-northeast-1';
const SYMBOL = 'BTCUSDT';
const REDIS_TOKEN = 'local-redis-auth-token';
const LOCAL = {
  redisSecretArn: `arn:aws:secretsmanager:${REGION}:000000000000:secret:redis-auth`,
  clusterArn: `arn:aws:rds:${REGION}:000000000000:cluster:warehouse`,
  dbSecretArn: `arn:aws:secretsmanager:${REGION}:000000000000:secret:warehouse`,
  reanchorName: 'btcusdt-dev-re-anchor',
  bucket: 'btcusdt-dev-bronze-assets',
  modelsBucket: 'btcusdt-dev-models-assets',
  binanceKeyArn: `arn:aws:secretsmanager:${REGION}:000000000000:secret:binance-api-key`,
  streams: {
    trade: 'market-sbe-trade-dev',
    bestBidAsk: 'market-sbe-bestbidask-dev',
    depth: 'market-sbe-depth-dev',
  },
};
/** The user the images run as (`USER node` there); unprivileged here, so read-only means read-only. */
const NOBODY = { uid: 65534, gid: 65534 };

/**
 * The user the built images run as here: NOBODY when it can reach the repository's node_modules
 * (the images' externals are linked from there), else this process's user. A clone inside a private
 * directory (a home or a mktemp -d folder, mode 0700) is out of NOBODY's reach; the images' own
 * node_modules never are.
 */
function taskUser(): typeof NOBODY | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const probe = spawnSync(
    process.execPath,
    // By its absolute path, as the images' node_modules link reaches it.
    ['-e', 'require("fs").accessSync(process.argv[1])', path.resolve('node_modules/.package-lock.json')],
    { cwd: '/', ...NOBODY },
  );
  if (probe.status === 0) return NOBODY;
  console.info(
    '[deployed-artifacts] the repository is out of reach of an unprivileged user: images run as this user',
  );
  return {};
}
const TASK_USER = taskUser();

type Json = Record<string, unknown>;
interface Outcome {
  ok: boolean;
  result?: unknown;
  errorType?: string;
  errorMessage?: string;
}

// Synthesized once for the file, with esbuild (the bundles are what is under test).
const dev = synthPipeline('dev', { bundle: true });
const functions = Object.entries(dev.processing.findResources('AWS::Lambda::Function')).map(([id, r]) => ({
  id,
  properties: r.Properties as Json,
  service: String(((r.Properties.Environment as Json).Variables as Json)[POWERTOOLS_SERVICE_NAME] ?? ''),
}));
const fn = (service: string) => {
  const found = functions.find((f) => f.service === service);
  if (!found) throw new Error(`No function ${service} in the Processing template.`);
  return found;
};

let venue: Venue;
let s3: S3Emulator;
let kinesis: KinesisEmulator;
let aws: LocalAwsEndpoint;
let db: PGlite;
let redisServer: ChildProcess;
let redisPort: number;
let redis: Redis;
const workDirs: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  venue = await startVenue({ source: { kind: 'sim', seed: 5, speed: 1 } });
  s3 = await startS3Emulator({ buckets: [LOCAL.bucket, LOCAL.modelsBucket], region: REGION });
  kinesis = await startKinesisEmulator(0, REGION);
  for (const name of Object.values(LOCAL.streams)) await kinesis.createStream(name);
  db = await PGlite.create();
  aws = await startLocalAwsEndpoint({
    secrets: {
      [LOCAL.redisSecretArn]: JSON.stringify({ token: REDIS_TOKEN }),
      [LOCAL.binanceKeyArn]: JSON.stringify({ apiKey: 'local-venue-key' }),
    },
    s3Endpoint: s3.endpoint,
    kinesisEndpoint: kinesis.endpoint,
    dataApi: { db, clusterArn: LOCAL.clusterArn, secretArn: LOCAL.dbSecretArn },
  });
  // Its own redis-server, requiring the token the secret holds: the AUTH path runs for real.
  redisPort = await freePort();
  redisServer = spawn(
    'redis-server',
    [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--requirepass',
      REDIS_TOKEN,
    ],
    { stdio: 'ignore' },
  );
  redis = new Redis({ port: redisPort, host: '127.0.0.1', password: REDIS_TOKEN, maxRetriesPerRequest: 20 });
  await redis.ping();
  liveSocket = new WebSocket(`${venue.wsUrl}/ws/${SYMBOL.toLowerCase()}@depth`, {
    headers: { 'X-MBX-APIKEY': 'local-test-key' },
  });
  liveSocket.on('message', (data, isBinary) => {
    if (isBinary) liveDepth.push(new Uint8Array(data as Buffer));
  });
  await until(() => liveDepth.length >= 20, 'the venue depth stream');
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1500 && !condition(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

afterAll(async () => {
  liveSocket?.close();
  redis?.disconnect();
  redisServer?.kill();
  await aws?.close();
  await s3?.close();
  await kinesis?.close();
  await db?.close();
  await venue?.close();
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** The template's variables with references resolved to the local stand-ins, and the runtime's own. */
function environmentOf(f: ReturnType<typeof fn>, drop: readonly string[] = []): Record<string, string> {
  const local: Record<string, string> = {
    [REDIS_URL]: `redis://127.0.0.1:${redisPort}`,
    [REDIS_AUTH_SECRET_ARN]: LOCAL.redisSecretArn,
    [BRONZE_BUCKET]: LOCAL.bucket,
    [REANCHOR_FUNCTION_NAME]: LOCAL.reanchorName,
    [DB_CLUSTER_ARN]: LOCAL.clusterArn,
    [DB_SECRET_ARN]: LOCAL.dbSecretArn,
  };
  // Endpoints the template names literally, pointed at their local stand-ins.
  const endpoints: Record<string, string> = {
    [BINANCE_REST_URL]: venue.restUrl,
    [REDIS_URL]: local[REDIS_URL] as string,
  };
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries((f.properties.Environment as Json).Variables as Json)) {
    if (drop.includes(name)) continue;
    if (typeof value === 'string') env[name] = endpoints[name] ?? value;
    else if (local[name] !== undefined) env[name] = local[name];
    else
      throw new Error(`${f.service}: ${name} is ${JSON.stringify(value)}, which this test cannot resolve.`);
  }
  return {
    ...env,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    TZ: ':UTC',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_LAMBDA_FUNCTION_NAME: `btcusdt-dev-${f.service}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.properties.MemorySize),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(f.properties.Timeout),
    // The one override the stand-ins need; every client honours it (lambdas/shared/aws-clients.ts).
    AWS_ENDPOINT_URL: aws.url,
  };
}

interface InvokeOptions {
  /** Files of the asset folder not to copy (a bundle that lacks them). */
  omit?: readonly string[];
  handler?: string;
  dropVariables?: readonly string[];
}

/** Copies the function's asset folder out of cdk.out and runs its handler once on `event`. */
async function invoke(service: string, event: unknown, o: InvokeOptions = {}): Promise<Outcome> {
  const f = fn(service);
  const work = mkdtempSync(path.join(tmpdir(), `lambda-${service}-`));
  workDirs.push(work);
  const taskRoot = path.join(work, 'task');
  cpSync(bundleDir(dev.app, dev.processing, f.id), taskRoot, {
    recursive: true,
    filter: (source) => !(o.omit ?? []).includes(path.basename(source)),
  });
  writeFileSync(path.join(work, 'event.json'), JSON.stringify(event));
  const env = {
    ...environmentOf(f, o.dropVariables),
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: o.handler ?? String(f.properties.Handler),
  };
  await new Promise<void>((resolve) => {
    execFile(
      process.execPath,
      [BOOTSTRAP, path.join(work, 'event.json'), path.join(work, 'outcome.json')],
      { cwd: taskRoot, env, timeout: 60_000 },
      () => resolve(),
    );
  });
  try {
    return JSON.parse(readFileSync(path.join(work, 'outcome.json'), 'utf8')) as Outcome;
  } catch {
    return { ok: false, errorType: 'NoOutcome', errorMessage: 'the process ended without an outcome' };
  }
}

async function bronzeKeys(prefix: string): Promise<string[]> {
  const { Contents = [] } = await s3.client.send(
    new ListObjectsV2Command({ Bucket: LOCAL.bucket, Prefix: prefix }),
  );
  return Contents.map((c) => c.Key as string);
}

function scheduledEvent(rule: string) {
  return {
    version: '0',
    id: 'local-schedule',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    region: REGION,
    resources: [`arn:aws:events:${REGION}:000000000000:rule/${rule}`],
    detail: {},
  };
}

/** A Kinesis batch of `frames` as Lambda's mapping delivers it from the named dev stream. */
function kinesisEvent(stream: string, frames: Uint8Array[]) {
  const nowS = Date.now() / 1000;
  return {
    Records: toRecords(frames, 10, Math.floor(Date.now() * 1000)).map((r) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: SYMBOL,
        sequenceNumber: r.sequenceNumber,
        data: Buffer.from(r.data).toString('base64'),
        approximateArrivalTimestamp: nowS,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/aggregator',
      awsRegion: REGION,
      eventSourceARN: `arn:aws:kinesis:${REGION}:000000000000:stream/${stream}`,
    })),
  };
}

const script = new MarketScript(SYMBOL);
const depthFrames = () =>
  script
    .take(60)
    .filter((f) => streamOf(f.message) === 'depth')
    .map((f) => f.bytes);

describe('Lambda bundles from cdk.out, executed as the Lambda Node.js runtime runs them (dev)', () => {
  it('has the six functions of the Processing stack, each an ESM bundle named by its Handler', () => {
    expect(functions.map((f) => f.service).sort()).toEqual(
      ['aggregator', 'data-connector', 'gap-detector', 're-anchor', 'rest-poller', 'stream-archiver'].sort(),
    );
    for (const f of functions) expect(f.properties.Handler).toBe('index.handler');
  });

  it('rest-poller: a scheduled event writes Binance REST data to bronze', async () => {
    const outcome = await invoke('rest-poller', scheduledEvent('rest-poller'));
    expect(outcome).toMatchObject({ ok: true });
    expect((await bronzeKeys('bronze/rest/')).length).toBeGreaterThan(0);
    expect((await bronzeKeys('checkpoints/')).length).toBeGreaterThan(0);
  });

  it('stream-archiver: a Kinesis batch of the depth stream lands in bronze as received', async () => {
    const outcome = await invoke('stream-archiver', kinesisEvent('market-sbe-depth-dev', depthFrames()));
    expect(outcome).toMatchObject({ ok: true, result: { batchItemFailures: [] } });
    expect((await bronzeKeys('bronze/stream/depth/')).length).toBeGreaterThan(0);
  });

  it('aggregator: a Kinesis batch is applied to Redis, and a book with no anchor asks the re-anchor (async invoke)', async () => {
    const outcome = await invoke('aggregator', kinesisEvent('market-sbe-depth-dev', takeLive()));
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true, result: { batchItemFailures: [] } });
    expect((await redis.keys(`*{${SYMBOL}}*`)).length).toBeGreaterThan(0);
    expect(aws.invocations).toContainEqual(
      expect.objectContaining({
        functionName: LOCAL.reanchorName,
        invocationType: 'Event',
        payload: expect.objectContaining({ symbol: SYMBOL }),
      }),
    );
  });

  it('re-anchor: the asynchronous invocation swaps in a book from the venue snapshot and archives it', async () => {
    const request = aws.invocations.find((i) => i.functionName === LOCAL.reanchorName)?.payload ?? {
      symbol: SYMBOL,
      reason: 'no-book',
    };
    // The aggregator keeps logging live diffs meanwhile, so the snapshot can connect with the log.
    const aggregator = new Aggregator(
      new RedisHotState(redis),
      new WasmSbeDecoder(),
      () => Date.now() * 1000,
    );
    let running = true;
    const feeding = (async () => {
      while (running) {
        const frames = takeLive();
        if (frames.length > 0) await aggregator.process(toRecords(frames, 10, Date.now() * 1000));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const outcome = await invoke('re-anchor', request).finally(() => {
      running = false;
    });
    await feeding;
    expect(outcome, JSON.stringify(outcome)).toMatchObject({ ok: true, result: { status: 'swapped' } });
    expect((await redis.keys(`ob:{${SYMBOL}}*`)).length).toBeGreaterThan(0);
    expect((await bronzeKeys('bronze/rest/depth/')).length).toBeGreaterThan(0);
  });

  it('gap-detector: a scheduled event checks bronze against REST and writes its completeness ledger', async () => {
    const outcome = await invoke('gap-detector', scheduledEvent('gap-detector'));
    expect(outcome).toMatchObject({ ok: true });
    expect((await bronzeKeys('bronze/ledger/completeness/')).length).toBeGreaterThan(0);
  });

  it('data-connector: a scheduled event loads bronze into PostgreSQL through the Data API', async () => {
    const outcome = await invoke('data-connector', scheduledEvent('data-connector'));
    expect(outcome).toMatchObject({ ok: true });
    expect(aws.dataApiCalls).toContain('Execute');
    const tables = await db.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
    );
    let rows = 0;
    for (const { table_name } of tables.rows) {
      rows += Number(
        (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table_name}"`)).rows[0]?.n,
      );
    }
    expect(rows).toBeGreaterThan(0);
  });

  describe('what must fail', () => {
    it('a file missing beside index.mjs (the WASM decoder)', async () => {
      const outcome = await invoke('stream-archiver', kinesisEvent('market-sbe-depth-dev', depthFrames()), {
        omit: ['sbe_decoder.wasm'],
      });
      expect(outcome).toMatchObject({ ok: false, errorType: 'Runtime.ImportModuleError' });
      expect(outcome.errorMessage).toMatch(/sbe_decoder\.wasm/);
    });

    it('a Handler naming an export the bundle does not have', async () => {
      const outcome = await invoke('rest-poller', scheduledEvent('rest-poller'), { handler: 'index.main' });
      expect(outcome).toMatchObject({ ok: false, errorType: 'Runtime.HandlerNotFound' });
    });

    it('a variable the template forgot', async () => {
      const outcome = await invoke('aggregator', kinesisEvent('market-sbe-depth-dev', depthFrames()), {
        dropVariables: [REDIS_URL],
      });
      expect(outcome).toMatchObject({ ok: false, errorType: 'Runtime.ImportModuleError' });
      expect(outcome.errorMessage).toMatch(/REDIS_URL/);
    });
  });
});

/** The container of a task or job definition in a template: its variables as name → value. */
function containerEnvironment(resource: Json): Record<string, unknown> {
  const list = ((resource.ContainerDefinitions as Json[] | undefined)?.[0]?.Environment ??
    (resource.ContainerProperties as Json | undefined)?.Environment ??
    []) as { Name: string; Value: unknown }[];
  return Object.fromEntries(list.map((v) => [v.Name, v.Value]));
}

/** What the image runs: its Dockerfile's CMD or ENTRYPOINT (exec form), and its ENV. */
function imageOf(dockerfile: string): { command: string[]; env: Record<string, string> } {
  const text = readFileSync(dockerfile, 'utf8');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const exec = /^(?:CMD|ENTRYPOINT) (\[.*\])$/m.exec(runtime)?.[1];
  if (!exec) throw new Error(`${dockerfile}: no exec-form CMD or ENTRYPOINT in the runtime stage.`);
  const env: Record<string, string> = {};
  for (const line of runtime.match(/^ENV .*$/gm) ?? []) {
    for (const [, k, v] of line.slice(4).matchAll(/(\w+)=(\S+)/g)) env[k as string] = v as string;
  }
  return { command: JSON.parse(exec) as string[], env };
}

/**
 * `docker build` here: the build context holds only the paths the stack's allowlist names (what the
 * Dockerfile may COPY), so a source file the bundle needs from outside it fails the build here as it
 * would in Docker; the build stage's `npm ci` is the repository's node_modules.
 */
function buildImage(service: string, context: readonly string[]): string {
  const work = mkdtempSync(path.join(tmpdir(), `image-${service}-`));
  workDirs.push(work);
  const ctx = path.join(work, 'context');
  for (const entry of context) cpSync(entry, path.join(ctx, entry), { recursive: true });
  symlinkSync(path.resolve('node_modules'), path.join(ctx, 'node_modules'));
  const app = path.join(work, 'app');
  execFileSync('bash', [path.join(ctx, 'containers', 'build.sh'), service, app], { stdio: 'pipe' });
  return app;
}

/** A read-only root: the image's files and folders unwritable for the unprivileged user that runs it. */
function makeReadOnly(dir: string): void {
  chmodSync(path.dirname(dir), 0o755);
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (!entry.isSymbolicLink()) chmodSync(full, entry.isDirectory() ? 0o555 : 0o444);
  }
  chmodSync(dir, 0o555);
}

async function healthOf(
  port: number,
  child: ChildProcess,
  log: () => string,
): Promise<{ status: number; body: Json }> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null)
      throw new Error(`exited ${child.exitCode} before answering /health:\n${log()}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      if (r.ok) return { status: r.status, body: (await r.json()) as Json };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no healthy answer on /health:\n${log()}`);
}

/** Starts the built image as the task definition runs it and waits for /health to answer 2xx. */
async function startAsTask(
  service: string,
  dockerfile: string,
  app: string,
  templateEnv: Record<string, unknown>,
  local: Record<string, string>,
): Promise<{ health: { status: number; body: Json }; stop: () => void }> {
  const image = imageOf(dockerfile);
  const port = await freePort();
  const env: Record<string, string> = { ...image.env, PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: app };
  for (const [name, value] of Object.entries(templateEnv)) {
    if (local[name] !== undefined) env[name] = local[name];
    else if (typeof value === 'string') env[name] = value;
    else throw new Error(`${service}: ${name} is ${JSON.stringify(value)}, which this test cannot resolve.`);
  }
  // The template's HTTP_PORT (8080) may be taken on this machine: the port is the one thing moved.
  Object.assign(env, {
    [HTTP_PORT]: String(port),
    AWS_ENDPOINT_URL: aws.url,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
  });
  makeReadOnly(app);
  const [program, ...args] = image.command;
  const child = spawn(program === 'node' ? process.execPath : (program as string), args, {
    cwd: app,
    env,
    ...TASK_USER,
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d));
  child.stderr?.on('data', (d: Buffer) => (output += d));
  try {
    const health = await healthOf(port, child, () => output.slice(-3000));
    return { health, stop: () => child.kill('SIGTERM') };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

const ingestorTask = () =>
  Object.values(dev.ingest.findResources('AWS::ECS::TaskDefinition'))[0]?.Properties as Json;
const inferenceTask = () =>
  Object.values(dev.ml.findResources('AWS::ECS::TaskDefinition'))[0]?.Properties as Json;

describe('container builds (containers/build.sh, the steps each Dockerfile runs), started as their task definitions run them', () => {
  it('each Dockerfile builds through containers/build.sh, from an entry point, in a context the stack lists', () => {
    for (const dockerfile of [INGESTOR_DOCKERFILE, INFERENCE_DOCKERFILE, TRAINER_DOCKERFILE]) {
      const service = path.basename(path.dirname(dockerfile));
      expect(readFileSync(dockerfile, 'utf8')).toContain(`RUN bash containers/build.sh ${service} /out`);
    }
    expect(ingestorTask().ContainerDefinitions).toMatchObject([{ ReadonlyRootFilesystem: true }]);
    expect(inferenceTask().ContainerDefinitions).toMatchObject([{ ReadonlyRootFilesystem: true }]);
  });

  it('sbe-ingestor: built, started read-only with its task environment, answers /health with the venue connected', async () => {
    const app = buildImage('sbe-ingestor', INGESTOR_BUILD_CONTEXT);
    expect(readdirSync(app).sort()).toEqual(['dist', 'main.mjs', 'main.mjs.map']);
    const task = ingestorTask();
    const { health, stop } = await startAsTask(
      'sbe-ingestor',
      INGESTOR_DOCKERFILE,
      app,
      containerEnvironment(task),
      {
        [STREAM_TRADE]: LOCAL.streams.trade,
        [STREAM_BESTBIDASK]: LOCAL.streams.bestBidAsk,
        [STREAM_DEPTH]: LOCAL.streams.depth,
        [BINANCE_API_KEY_SECRET_ARN]: LOCAL.binanceKeyArn,
        [BINANCE_WS_URL]: venue.wsUrl,
        [AWS_REGION]: REGION,
      },
    );
    stop();
    expect(health.status).toBe(200);
  });

  it('inference: built, started read-only with its task environment, answers /health with Redis reached', async () => {
    const app = buildImage('inference', INFERENCE_BUILD_CONTEXT);
    const task = inferenceTask();
    const { health, stop } = await startAsTask(
      'inference',
      INFERENCE_DOCKERFILE,
      app,
      containerEnvironment(task),
      {
        [REDIS_URL]: `redis://127.0.0.1:${redisPort}`,
        [REDIS_AUTH_SECRET_ARN]: LOCAL.redisSecretArn,
        [MODELS_BUCKET]: LOCAL.modelsBucket,
        [BRONZE_BUCKET]: LOCAL.bucket,
        [AWS_REGION]: REGION,
      },
    );
    stop();
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      components: expect.objectContaining({ redis: { status: 'healthy' } }),
    });
  });

  it('trainer: built in its context, run once as its Batch job runs it, on local data (the 2024 recording)', async (context) => {
    const app = buildImage('trainer', TRAINER_BUILD_CONTEXT);
    expect(readdirSync(app).sort()).toEqual(['dist', 'main.mjs', 'main.mjs.map']);
    expect(
      readFileSync(path.join(app, 'dist', 'sbe_decoder.wasm')).equals(
        readFileSync('native/dist/sbe_decoder.wasm'),
      ),
    ).toBe(true);
    if (!hasSharedData('trainer run', ...RECORDING_2024)) return context.skip();
    // The image installs its externals (tfjs, PGlite) with `npm ci --omit=dev`; here, the repository's.
    symlinkSync(path.resolve('node_modules'), path.join(app, 'node_modules'));
    const image = imageOf(TRAINER_DOCKERFILE);
    const job = Object.values(dev.ml.findResources('AWS::Batch::JobDefinition'))[0]?.Properties as Json;
    const env: Record<string, string> = {
      ...image.env,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: app,
    };
    const local: Record<string, string> = {
      [MODELS_BUCKET]: LOCAL.modelsBucket,
      [BRONZE_BUCKET]: LOCAL.bucket,
      [DB_CLUSTER_ARN]: LOCAL.clusterArn,
      [DB_SECRET_ARN]: LOCAL.dbSecretArn,
      [AWS_REGION]: REGION,
    };
    for (const [name, value] of Object.entries(containerEnvironment(job))) {
      if (local[name] !== undefined) env[name] = local[name];
      else if (typeof value === 'string') env[name] = value;
      else throw new Error(`trainer: ${name} is ${JSON.stringify(value)}, which this test cannot resolve.`);
    }
    expect(env[DB_NAME]).toBeDefined();
    // Local data instead of the warehouse: the recording, through the variable the trainer documents.
    Object.assign(env, {
      [TRAINER_DATA]: RECORDING_2024.map(sharedDataPath).join(','),
      AWS_ENDPOINT_URL: aws.url,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    makeReadOnly(app);
    const [program, ...args] = image.command;
    const exitCode = await new Promise<number | null>((resolve) => {
      const child = spawn(program === 'node' ? process.execPath : (program as string), args, {
        cwd: app,
        env,
        stdio: 'ignore',
        ...TASK_USER,
      });
      child.on('exit', (code) => resolve(code));
    });
    expect(exitCode).toBe(0);
    const { Contents = [] } = await s3.client.send(
      new ListObjectsV2Command({ Bucket: LOCAL.modelsBucket, Prefix: 'models/' }),
    );
    expect(Contents.length).toBeGreaterThan(0);
  }, 180_000);
});
