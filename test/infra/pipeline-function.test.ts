import * as fs from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import {
  NODE_OPTIONS,
  PIPELINE_ENV,
  POWERTOOLS_LOG_LEVEL,
  POWERTOOLS_METRICS_NAMESPACE,
  POWERTOOLS_SERVICE_NAME,
  STREAM_TRADE,
} from '../../core/config/environment-names.ts';
import { DEFAULT_METRICS_NAMESPACE, PipelineFunction } from '../../lib/constructs/pipeline-function.ts';
import { bundleDir, FIXTURE_HANDLER, listFiles, logicalIds, nagCheckedStack } from './helpers.ts';

// One app for the whole file: a plain function and one in a VPC with a bundled WASM asset.
const { app, stack } = nagCheckedStack();
const vpc = new Vpc(stack, 'Vpc', {
  maxAzs: 2,
  natGateways: 1,
  subnetConfiguration: [
    { name: 'Public', subnetType: SubnetType.PUBLIC },
    { name: 'Compute', subnetType: SubnetType.PRIVATE_WITH_EGRESS },
  ],
});
// The fixture VPC is not under test; nag's VPC7 (flow logs) belongs to NetworkStack's tests.
vpc.addFlowLog('FlowLog');
const plain = new PipelineFunction(stack, 'Plain', {
  entry: FIXTURE_HANDLER,
  serviceName: 'rest-poller',
  pipelineEnv: 'dev',
  environment: { [STREAM_TRADE]: 'market-sbe-trade-dev' },
});
const inVpc = new PipelineFunction(stack, 'InVpc', {
  entry: FIXTURE_HANDLER,
  serviceName: 'aggregator',
  pipelineEnv: 'prod',
  logLevel: 'WARN',
  logRetention: RetentionDays.THREE_MONTHS,
  memorySize: 1024,
  timeout: Duration.seconds(60),
  vpc,
  bundledAssets: [{ from: 'native/dist/sbe_decoder.wasm', to: 'dist/sbe_decoder.wasm' }],
});
const template = Template.fromStack(stack);
const functionId = (fn: PipelineFunction) => stack.getLogicalId(fn.node.defaultChild as never);

describe('PipelineFunction', () => {
  it('runs Node.js 22 on ARM64 with the house memory and timeout defaults', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 30,
    });
  });

  it('sets the Powertools variables, PIPELINE_ENV and source maps, keeping extra variables', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [POWERTOOLS_SERVICE_NAME]: 'rest-poller',
          [POWERTOOLS_METRICS_NAMESPACE]: DEFAULT_METRICS_NAMESPACE,
          [POWERTOOLS_LOG_LEVEL]: 'INFO',
          [PIPELINE_ENV]: 'dev',
          [NODE_OPTIONS]: '--enable-source-maps',
          [STREAM_TRADE]: 'market-sbe-trade-dev',
        },
      },
    });
  });

  it('writes to its own log group with the configured retention (one month by default)', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^PlainLogGroup') } },
    });
  });

  it('bundles the handler as an ES module with a source map', () => {
    const files = listFiles(bundleDir(app, template, functionId(plain)));
    expect(files).toContain('index.mjs');
    expect(files).toContain('index.mjs.map');
  });

  it('copies bundled assets next to the bundle, where the WASM decoder looks for them', () => {
    const dir = bundleDir(app, template, functionId(inVpc));
    const copied = fs.readFileSync(path.join(dir, 'dist', 'sbe_decoder.wasm'));
    expect(copied.equals(fs.readFileSync('native/dist/sbe_decoder.wasm'))).toBe(true);
  });

  it('runs in the private subnets of the VPC when given one', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Timeout: 60,
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({ [POWERTOOLS_LOG_LEVEL]: 'WARN', [PIPELINE_ENV]: 'prod' }),
      },
    });
    expect(logicalIds(template, 'AWS::Lambda::Function')).toHaveLength(2);
  });

  it('has no X-Ray wildcard policy unless tracing is asked for', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { TracingConfig: Match.anyValue() }, 0);
    template.resourcePropertiesCountIs(
      'AWS::IAM::Policy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: Match.arrayWith(['xray:PutTraceSegments']) }),
          ]),
        },
      },
      0,
    );
  });

  it('rejects invalid props, naming the bad value', () => {
    const { stack: s } = nagCheckedStack('Invalid');
    expect(
      () =>
        new PipelineFunction(s, 'A', { entry: FIXTURE_HANDLER, serviceName: 'Bad Name', pipelineEnv: 'dev' }),
    ).toThrow(/PipelineFunction A: invalid serviceName "Bad Name"/);
    expect(
      () =>
        new PipelineFunction(s, 'B', {
          entry: FIXTURE_HANDLER,
          serviceName: 'ok',
          pipelineEnv: 'dev',
          memorySize: 64,
        }),
    ).toThrow(/memorySize 64/);
    expect(
      () =>
        new PipelineFunction(s, 'C', {
          entry: FIXTURE_HANDLER,
          serviceName: 'ok',
          pipelineEnv: 'dev',
          timeout: Duration.minutes(20),
        }),
    ).toThrow(/timeout "20 minutes": Lambda allows 1 to 900 whole seconds/);
    expect(
      () =>
        new PipelineFunction(s, 'D', {
          entry: FIXTURE_HANDLER,
          serviceName: 'ok',
          pipelineEnv: 'dev',
          bundledAssets: [{ from: 'x', to: '../escape' }],
        }),
    ).toThrow(/bundled asset target "\.\.\/escape"/);
  });
});
