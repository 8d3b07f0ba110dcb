/**
 * The monthly bill of one synthesized environment, resource by resource: reads the CloudFormation
 * templates (what `cdk synth` produces, so every size, count and switch in lib/config is seen as
 * deployed) and multiplies the quantities by the dated price table (prices.ts) at the usage
 * assumptions (usage.ts). Pure: templates and tables in, line items out.
 */

import { PRICES, type Price, type PriceKey } from './prices.ts';
import { HOURS_PER_MONTH, SECONDS_PER_MONTH, type Usage } from './usage.ts';

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties?: Json;
}
/** Stack name → template (only `Resources` is read). */
export type Templates = Readonly<Record<string, { Resources?: Record<string, Resource> }>>;

export interface CostItem {
  /** The AWS service, for grouping. */
  readonly service: string;
  /** The resource: `<stack>/<logical id>` or a name, and what was counted. */
  readonly resource: string;
  readonly detail: string;
  readonly monthlyUsd: number;
  /** True when any price used is not verified against AWS's page (prices.ts). */
  readonly unverifiedPrice: boolean;
}

export class UnknownPriceError extends Error {
  override readonly name = 'UnknownPriceError';
}

/** On-demand streams open with 4 MB/s of write capacity, i.e. 4 shards (Kinesis developer guide). */
const ON_DEMAND_INITIAL_SHARDS = 4;
/** One symbol, partition key = symbol: all of a stream's records land on one shard. */
const SHARDS_WITH_DATA = 1;
const GB = 1024 ** 3;
const DAYS_PER_MONTH = HOURS_PER_MONTH / 24;

interface Found {
  readonly stack: string;
  readonly id: string;
  readonly properties: Json;
}

interface StreamInfo extends Found {
  readonly name: string;
  readonly shards: number;
  readonly onDemand: boolean;
  readonly retentionHours: number;
  readonly recordsPerS: number;
  readonly bytesPerRecord: number;
  readonly framesPerS: number;
  readonly frameBytesPerS: number;
}

export function estimateMonthlyCost(templates: Templates, usage: Usage): CostItem[] {
  const all = (type: string): Found[] =>
    Object.entries(templates).flatMap(([stack, t]) =>
      Object.entries(t.Resources ?? {})
        .filter(([, r]) => r.Type === type)
        .map(([id, r]) => ({ stack, id, properties: r.Properties ?? {} })),
    );
  const items: CostItem[] = [];
  const add = (service: string, resource: string, detail: string, parts: [Price, number][]) => {
    items.push({
      service,
      resource,
      detail,
      monthlyUsd: parts.reduce((sum, [price, quantity]) => sum + price.usd * quantity, 0),
      unverifiedPrice: parts.some(([price]) => !price.verified),
    });
  };
  const p = (key: PriceKey): Price => PRICES[key];

  // Kinesis streams.
  const streams = all('AWS::Kinesis::Stream').map((s): StreamInfo => {
    const name = String(s.properties.Name);
    const rate = Object.entries(usage.streams).find(([base]) => name.startsWith(base))?.[1];
    if (!rate) throw new UnknownPriceError(`No message rate for stream ${name} in usage.ts.`);
    const onDemand = (s.properties.StreamModeDetails as Json | undefined)?.StreamMode === 'ON_DEMAND';
    const recordsPerS = rate.framesPerS / usage.framesPerRecord;
    return {
      ...s,
      name,
      onDemand,
      shards: onDemand ? ON_DEMAND_INITIAL_SHARDS : Number(s.properties.ShardCount ?? 1),
      retentionHours: Number(s.properties.RetentionPeriodHours ?? 24),
      recordsPerS,
      bytesPerRecord: rate.frameBytes * usage.framesPerRecord + usage.envelopeBytesPerRecord,
      framesPerS: rate.framesPerS,
      frameBytesPerS: rate.framesPerS * rate.frameBytes,
    };
  });
  const streamById = (value: unknown): StreamInfo | undefined => {
    const text = JSON.stringify(value);
    return streams.find((s) => text.includes(s.id));
  };
  const consumers = all('AWS::Kinesis::StreamConsumer');
  const mappings = all('AWS::Lambda::EventSourceMapping');
  for (const s of streams) {
    const gbPerMonth = (s.recordsPerS * s.bytesPerRecord * SECONDS_PER_MONTH) / GB;
    const sharedReaders = mappings.filter((m) => streamById(m.properties.EventSourceArn) === s).length;
    const label = `${s.stack}/${s.name}`;
    if (s.onDemand) {
      const writtenGb = (s.recordsPerS * Math.ceil(s.bytesPerRecord / 1024) * 1024 * SECONDS_PER_MONTH) / GB;
      const retainedGb = (gbPerMonth / DAYS_PER_MONTH) * Math.max(0, s.retentionHours / 24 - 1);
      add(
        'Kinesis',
        label,
        `on-demand; ${writtenGb.toFixed(1)} GB written, ${sharedReaders} shared reader(s), ${s.retentionHours} h retention`,
        [
          [p('kinesisOnDemandStreamHour'), HOURS_PER_MONTH],
          [p('kinesisOnDemandWriteGb'), writtenGb],
          [p('kinesisOnDemandReadGb'), gbPerMonth * sharedReaders],
          [p('kinesisOnDemandRetentionGbMonth'), retainedGb],
        ],
      );
    } else {
      const putUnits = s.recordsPerS * Math.ceil(s.bytesPerRecord / (25 * 1024)) * SECONDS_PER_MONTH;
      add(
        'Kinesis',
        label,
        `${s.shards} shard(s), ${(putUnits / 1e6).toFixed(1)}M PUT units, ${s.retentionHours} h retention`,
        [
          [p('kinesisShardHour'), s.shards * HOURS_PER_MONTH],
          [p('kinesisPutUnitsPerMillion'), putUnits / 1e6],
          [p('kinesisExtendedRetentionShardHour'), s.retentionHours > 24 ? s.shards * HOURS_PER_MONTH : 0],
        ],
      );
    }
  }
  const consumerStream = new Map<string, StreamInfo>();
  for (const c of consumers) {
    const s = streamById(c.properties.StreamARN);
    if (!s) throw new UnknownPriceError(`Stream consumer ${c.id}: its stream is not in the templates.`);
    consumerStream.set(c.id, s);
    const readGb = (s.recordsPerS * s.bytesPerRecord * SECONDS_PER_MONTH) / GB;
    add(
      'Kinesis',
      `${c.stack}/${String(c.properties.ConsumerName)}`,
      `enhanced fan-out: ${s.shards} shard(s), ${readGb.toFixed(1)} GB pushed`,
      [
        [p('kinesisFanOutConsumerShardHour'), s.shards * HOURS_PER_MONTH],
        [p('kinesisFanOutReadGb'), readGb],
      ],
    );
  }

  // Lambda: invocations from the mappings and schedules, duration from usage, memory from the template.
  const rules = all('AWS::Events::Rule');
  const logGroups = new Map(
    all('AWS::Logs::LogGroup').map((g) => [g.id, Number(g.properties.RetentionInDays ?? 30)]),
  );
  let lambdaLogGb = 0;
  let lambdaLogStoredGb = 0;
  const archiverInvocations: number[] = [];
  for (const fn of all('AWS::Lambda::Function')) {
    const service = String(
      ((fn.properties.Environment as Json | undefined)?.Variables as Json | undefined)
        ?.POWERTOOLS_SERVICE_NAME ?? '',
    );
    if (!service) continue; // CDK's own providers (bucket auto-delete) run only at deploy and delete.
    const memoryGb = Number(fn.properties.MemorySize ?? 128) / 1024;
    let invocations = 0;
    let billedMs = 0;
    const sources: string[] = [];
    for (const m of mappings.filter(
      (x) => JSON.stringify(x.properties.FunctionName) === JSON.stringify({ Ref: fn.id }),
    )) {
      const consumerId = ((m.properties.EventSourceArn as Json)['Fn::GetAtt'] as string[] | undefined)?.[0];
      const fanOut = consumerId !== undefined && consumerStream.has(consumerId);
      const s = fanOut ? consumerStream.get(consumerId as string) : streamById(m.properties.EventSourceArn);
      if (!s) throw new UnknownPriceError(`Mapping ${m.id}: its stream is not in the templates.`);
      const windowS = Number(m.properties.MaximumBatchingWindowInSeconds ?? 0);
      const batchSize = Number(m.properties.BatchSize ?? 100);
      // Pushed records invoke as they come (window 0); a standard mapping polls the shard with data
      // once a second, or once per window, more often only when a batch fills first.
      const perS = fanOut
        ? s.recordsPerS
        : SHARDS_WITH_DATA * Math.max(1 / Math.max(1, windowS), s.recordsPerS / batchSize);
      const framesPerInvocation = s.framesPerS / perS;
      const ms =
        service === 'stream-archiver'
          ? usage.archiverBatchMs
          : usage.aggregatorFixedMs + usage.aggregatorPerFrameMs * framesPerInvocation;
      invocations += perS * SECONDS_PER_MONTH;
      billedMs += perS * SECONDS_PER_MONTH * Math.ceil(ms);
      sources.push(
        `${s.name.replace(/-[a-z]+$/, '')} ${fanOut ? 'push' : 'poll'} ${perS.toFixed(perS < 1 ? 3 : 0)}/s`,
      );
      if (service === 'stream-archiver') archiverInvocations.push(perS * SECONDS_PER_MONTH);
    }
    for (const r of rules.filter((x) => JSON.stringify(x.properties.Targets).includes(`"${fn.id}"`))) {
      const perMonth = runsPerMonth(String(r.properties.ScheduleExpression ?? ''));
      invocations += perMonth;
      billedMs += perMonth * (usage.scheduledRunMs[service] ?? 1000);
      sources.push(String(r.properties.ScheduleExpression));
    }
    if (service === 're-anchor') {
      invocations += usage.reanchorsPerDay * DAYS_PER_MONTH;
      billedMs += usage.reanchorsPerDay * DAYS_PER_MONTH * usage.reanchorMs;
      sources.push(`${usage.reanchorsPerDay} re-anchors a day (assumed)`);
    }
    const gbSeconds = (billedMs / 1000) * memoryGb;
    add(
      'Lambda',
      `${fn.stack}/${service}`,
      `${fn.properties.MemorySize} MB; ${countOf(invocations)} invocations (${sources.join(', ')}); ${Math.round(gbSeconds).toLocaleString('en')} GB-s`,
      [
        [p('lambdaRequestsPerMillion'), invocations / 1e6],
        [p('lambdaArmGbSecond'), gbSeconds],
      ],
    );
    const logGb = (invocations * usage.logBytesPerInvocation) / GB;
    lambdaLogGb += logGb;
    const groupId = ((fn.properties.LoggingConfig as Json | undefined)?.LogGroup as Json | undefined)?.Ref;
    lambdaLogStoredGb += (logGb / DAYS_PER_MONTH) * (logGroups.get(String(groupId)) ?? 30);
  }

  // Fargate: services all month, the trainer for its daily run.
  const taskDefinitions = new Map(all('AWS::ECS::TaskDefinition').map((t) => [t.id, t]));
  let containerTasks = 0;
  for (const svc of all('AWS::ECS::Service')) {
    const td = taskDefinitions.get(String((svc.properties.TaskDefinition as Json | undefined)?.Ref));
    if (!td) continue;
    const count = Number(svc.properties.DesiredCount ?? 1);
    containerTasks += count;
    const vcpu = Number(td.properties.Cpu) / 1024;
    const gb = Number(td.properties.Memory) / 1024;
    add(
      'Fargate',
      `${svc.stack}/${svc.id.replace(/Service.*$/, '')}`,
      `${count} task(s) × ${vcpu} vCPU, ${gb} GB, all month`,
      [
        [p('fargateArmVcpuHour'), count * vcpu * HOURS_PER_MONTH],
        [p('fargateArmGbHour'), count * gb * HOURS_PER_MONTH],
      ],
    );
  }
  for (const job of all('AWS::Batch::JobDefinition')) {
    const req = ((job.properties.ContainerProperties as Json | undefined)?.ResourceRequirements ?? []) as {
      Type: string;
      Value: string;
    }[];
    const vcpu = Number(req.find((r) => r.Type === 'VCPU')?.Value ?? 1);
    const gb = Number(req.find((r) => r.Type === 'MEMORY')?.Value ?? 2048) / 1024;
    const hours = (usage.trainerRunMinutesPerDay / 60) * DAYS_PER_MONTH;
    add(
      'Fargate',
      `${job.stack}/${job.id.replace(/[A-F0-9]{8}$/, '')}`,
      `Batch: ${vcpu} vCPU, ${gb} GB, ${usage.trainerRunMinutesPerDay} min a day (assumed)`,
      [
        [p('fargateArmVcpuHour'), vcpu * hours],
        [p('fargateArmGbHour'), gb * hours],
      ],
    );
  }

  // Network: NAT gateways, interface endpoints, and the traffic each carries.
  const endpoints = all('AWS::EC2::VPCEndpoint').filter((e) => e.properties.VpcEndpointType === 'Interface');
  const endpointFor = (service: string) =>
    endpoints.some((e) => JSON.stringify(e.properties.ServiceName).includes(service));
  const kinesisPutGb = streams.reduce(
    (sum, s) => sum + (s.recordsPerS * s.bytesPerRecord * SECONDS_PER_MONTH) / GB,
    0,
  );
  const binanceGb = streams.reduce((sum, s) => sum + (s.frameBytesPerS * SECONDS_PER_MONTH) / GB, 0);
  const containerLogGb = (containerTasks * usage.containerLogBytesPerMinute * 60 * HOURS_PER_MONTH) / GB;
  const natGb =
    binanceGb +
    (endpointFor('kinesis-streams') ? 0 : kinesisPutGb) +
    (endpointFor('ecr.dkr') ? 0 : usage.imagePullGbPerMonth) +
    (endpointFor('logs') ? 0 : containerLogGb + lambdaLogGb);
  const endpointGb =
    (endpointFor('kinesis-streams') ? kinesisPutGb : 0) +
    (endpointFor('ecr.dkr') ? usage.imagePullGbPerMonth : 0) +
    (endpointFor('logs') ? containerLogGb + lambdaLogGb : 0);
  const nats = all('AWS::EC2::NatGateway');
  if (nats.length > 0) {
    add(
      'VPC',
      `${nats[0]?.stack}/NAT gateways`,
      `${nats.length} gateway(s); ${natGb.toFixed(1)} GB (Binance feed${endpointFor('kinesis-streams') ? '' : ', Kinesis puts, logs, image pulls'})`,
      [
        [p('natGatewayHour'), nats.length * HOURS_PER_MONTH],
        [p('natGatewayGb'), natGb],
      ],
    );
  }
  if (endpoints.length > 0) {
    const azHours =
      endpoints.reduce(
        (sum, e) => sum + ((e.properties.SubnetIds as unknown[] | undefined)?.length ?? 1),
        0,
      ) * HOURS_PER_MONTH;
    add(
      'VPC',
      `${endpoints[0]?.stack}/interface endpoints`,
      `${endpoints.length} endpoint(s) × their AZs; ${endpointGb.toFixed(1)} GB`,
      [
        [p('interfaceEndpointHour'), azHours],
        [p('interfaceEndpointGb'), endpointGb],
      ],
    );
  }

  // ElastiCache.
  for (const g of all('AWS::ElastiCache::ReplicationGroup')) {
    const nodeType = String(g.properties.CacheNodeType);
    const price = PRICES.cacheNodeHour[nodeType];
    if (!price)
      throw new UnknownPriceError(
        `No price for cache node type ${nodeType}: add it to scripts/cost/prices.ts.`,
      );
    const nodes = Number(g.properties.NumCacheClusters ?? 1);
    add(
      'ElastiCache',
      `${g.stack}/${g.id.replace(/[A-F0-9]{8}$/, '')}`,
      `${nodes} × ${nodeType} (${String(g.properties.Engine)})`,
      [[price, nodes * HOURS_PER_MONTH]],
    );
  }

  // Aurora Serverless v2 and the Data API.
  const connectorRuns = rules
    .filter((r) => JSON.stringify(r.properties.Targets).includes('DataConnector'))
    .reduce((sum, r) => sum + runsPerMonth(String(r.properties.ScheduleExpression)), 0);
  for (const cluster of all('AWS::RDS::DBCluster')) {
    const scaling = (cluster.properties.ServerlessV2ScalingConfiguration ?? {}) as {
      MinCapacity?: number;
      MaxCapacity?: number;
    };
    const acu = Math.min(
      Math.max(scaling.MinCapacity ?? 0.5, usage.auroraAverageAcu),
      scaling.MaxCapacity ?? 1,
    );
    const instances = all('AWS::RDS::DBInstance').filter(
      (i) => i.stack === cluster.stack && i.properties.DBInstanceClass === 'db.serverless',
    ).length;
    const dataApiCalls = cluster.properties.EnableHttpEndpoint ? connectorRuns * usage.dataApiCallsPerRun : 0;
    add(
      'Aurora',
      `${cluster.stack}/${String(cluster.properties.DBClusterIdentifier ?? cluster.id)}`,
      `${instances} serverless instance(s) at ${acu} ACU average (min ${scaling.MinCapacity}, max ${scaling.MaxCapacity}); ${usage.auroraGbPerMonth} GB; ${(dataApiCalls / 1e6).toFixed(2)}M Data API calls`,
      [
        [p('auroraAcuHour'), instances * acu * HOURS_PER_MONTH],
        [p('auroraStorageGbMonth'), usage.auroraGbPerMonth],
        [p('dataApiPerMillion'), dataApiCalls / 1e6],
      ],
    );
  }

  // S3: bronze as stored after the first month (it grows by the same each month), and requests.
  const bronzeGbPerMonth = binanceGb * usage.bronzeGzipRatio + usage.restAndFeaturesGbPerDay * DAYS_PER_MONTH;
  const scheduledPuts = rules.reduce((sum, r) => {
    const service = Object.keys(usage.s3PutsPerRun).find((s) =>
      JSON.stringify(r.properties.Targets).toLowerCase().includes(s.replace('-', '')),
    );
    return (
      sum +
      (service
        ? runsPerMonth(String(r.properties.ScheduleExpression)) * (usage.s3PutsPerRun[service] ?? 0)
        : 0)
    );
  }, 0);
  const scheduledGets = rules.reduce((sum, r) => {
    const service = Object.keys(usage.s3GetsPerRun).find((s) =>
      JSON.stringify(r.properties.Targets).toLowerCase().includes(s.replace('-', '')),
    );
    return (
      sum +
      (service
        ? runsPerMonth(String(r.properties.ScheduleExpression)) * (usage.s3GetsPerRun[service] ?? 0)
        : 0)
    );
  }, 0);
  const puts =
    archiverInvocations.reduce((a, b) => a + b, 0) +
    scheduledPuts +
    usage.inferencePutsPerMinute * 60 * HOURS_PER_MONTH;
  add(
    'S3',
    'bronze and models buckets',
    `${bronzeGbPerMonth.toFixed(1)} GB after month 1 (+ as much each month); ${(puts / 1e3).toFixed(0)}k PUTs, ${(scheduledGets / 1e3).toFixed(0)}k GETs`,
    [
      [p('s3StandardGbMonth'), bronzeGbPerMonth],
      [p('s3PutPer1000'), puts / 1000],
      [p('s3GetPer1000'), scheduledGets / 1000],
    ],
  );

  // CloudWatch.
  const alarms = all('AWS::CloudWatch::Alarm').length;
  const dashboards = all('AWS::CloudWatch::Dashboard').length;
  add('CloudWatch', 'alarms', `${alarms} standard-resolution alarms`, [[p('cloudwatchAlarmMonth'), alarms]]);
  add(
    'CloudWatch',
    'dashboards and custom metrics',
    `${dashboards} dashboards (3 free per account), ${usage.customMetrics} EMF metrics (assumed count)`,
    [
      [p('cloudwatchDashboardMonth'), Math.max(0, dashboards - 3)],
      [p('cloudwatchMetricMonth'), usage.customMetrics],
    ],
  );
  add(
    'CloudWatch',
    'logs',
    `${(lambdaLogGb + containerLogGb).toFixed(1)} GB ingested (Lambda ${lambdaLogGb.toFixed(1)}, containers ${containerLogGb.toFixed(1)}), ~${lambdaLogStoredGb.toFixed(1)} GB kept`,
    [
      [p('cloudwatchLogsIngestGb'), lambdaLogGb + containerLogGb],
      [p('cloudwatchLogsStorageGbMonth'), lambdaLogStoredGb + containerLogGb],
    ],
  );

  // Secrets and keys.
  const secrets = all('AWS::SecretsManager::Secret').length;
  const keys = all('AWS::KMS::Key').length;
  add('Secrets Manager, KMS', 'secrets and keys', `${secrets} secret(s), ${keys} customer-managed key(s)`, [
    [p('secretMonth'), secrets],
    [p('kmsKeyMonth'), keys],
  ]);

  return items.sort((a, b) => b.monthlyUsd - a.monthlyUsd);
}

/** Runs a month of an EventBridge schedule: `rate(N unit)` or a daily `cron(m h * * ? *)`. */
export function runsPerMonth(expression: string): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const minutes = { minute: 1, minutes: 1, hour: 60, hours: 60, day: 1440, days: 1440 }[
      rate[2] as 'minute'
    ];
    return (HOURS_PER_MONTH * 60) / (Number(rate[1]) * minutes);
  }
  if (/^cron\(\S+ \S+ \* \* \? \*\)$/.test(expression)) return DAYS_PER_MONTH;
  throw new UnknownPriceError(`Cannot count the runs of schedule ${expression}.`);
}

/** 1,234 below a hundred thousand, else 1.23M: readable at both ends. */
function countOf(n: number): string {
  return n < 100_000 ? Math.round(n).toLocaleString('en') : `${(n / 1e6).toFixed(2)}M`;
}

export function totalUsd(items: readonly CostItem[]): number {
  return items.reduce((sum, i) => sum + i.monthlyUsd, 0);
}
