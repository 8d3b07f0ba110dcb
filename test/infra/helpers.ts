/**
 * Shared set-up for the infrastructure tests: apps built exactly as bin/app.ts builds them, with
 * cdk-nag attached, so every `Template.fromStack` also proves the stack is nag-clean (an
 * unacknowledged finding makes synthesis throw). Synthesize once per file and share the result:
 * NodejsFunction runs esbuild on every synthesis, so `synthPipeline` skips bundling unless asked.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import {
  type EnvironmentConfig,
  type PipelineEnv,
  resolveEnvironmentConfig,
  validateEnvironmentConfig,
} from '../../lib/config/environment-config.ts';
import { addNagChecks } from '../../lib/nag.ts';
import { buildPipeline, type PipelineStacks } from '../../lib/pipeline-app.ts';

/** Same feature-flag context as cdk.json, plus the asset metadata the CLI would turn on. */
export const APP_CONTEXT = {
  '@aws-cdk/core:defaultCrossStackReferences': 'strong',
  'aws:cdk:enable-asset-metadata': true,
} as const;

export const FIXTURE_HANDLER = path.join('test', 'infra', 'fixtures', 'handler.ts');

export interface SynthesizedPipeline {
  readonly config: EnvironmentConfig;
  readonly app: App;
  readonly stacks: PipelineStacks;
  readonly network: Template;
  readonly data: Template;
  readonly observability: Template;
  readonly ingest: Template;
  readonly processing: Template;
  readonly ml: Template;
}

export interface SynthOptions {
  /**
   * Run esbuild for the Lambda bundles, as `cdk synth` does. Templates are the same either way (only
   * asset hashes differ), so only the tests that open a bundle pay for it.
   * @default false
   */
  readonly bundle?: boolean;
  /**
   * Changes the environment's configuration before the app is built (validated like the real one).
   * @default - the environment's configuration as is
   */
  readonly configure?: (config: EnvironmentConfig) => EnvironmentConfig;
}

/** Builds and synthesizes one environment's app with cdk-nag; throws on any nag finding. */
export function synthPipeline(envName: PipelineEnv, options: SynthOptions = {}): SynthesizedPipeline {
  const resolved = resolveEnvironmentConfig({ envName });
  const config = options.configure ? options.configure(resolved) : resolved;
  validateEnvironmentConfig(config);
  // No stack matches an empty bundling list: CDK stages each function's source unbundled.
  const app = new App({ context: { ...APP_CONTEXT, ...(options.bundle ? {} : { [BUNDLING_STACKS]: [] }) } });
  const stacks = buildPipeline(app, config);
  addNagChecks(app);
  return {
    config,
    app,
    stacks,
    network: Template.fromStack(stacks.network),
    data: Template.fromStack(stacks.data),
    observability: Template.fromStack(stacks.observability),
    ingest: Template.fromStack(stacks.ingest),
    processing: Template.fromStack(stacks.processing),
    ml: Template.fromStack(stacks.ml),
  };
}

/** An app with cdk-nag and one empty stack, for construct tests. */
export function nagCheckedStack(id = 'Test'): { app: App; stack: Stack } {
  const app = new App({ context: APP_CONTEXT });
  addNagChecks(app);
  const stack = new Stack(app, id, { env: { region: 'ap-northeast-1' } });
  return { app, stack };
}

/** The bundle directory esbuild produced for a function resource of the template. */
export function bundleDir(app: App, template: Template, logicalId: string): string {
  const resource = template.toJSON().Resources[logicalId];
  const assetPath = resource?.Metadata?.['aws:asset:path'];
  if (typeof assetPath !== 'string') throw new Error(`No asset path on ${logicalId}.`);
  return path.join(app.outdir, assetPath);
}

/** Logical ids of the resources of one type. */
export function logicalIds(template: Template, type: string): string[] {
  return Object.keys(template.findResources(type));
}

export function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).sort();
}

/** What an `Fn::ImportValue` points at: the resource behind the exporting stack's output. */
export function exportedResource(
  exporter: Template,
  value: unknown,
): { logicalId: string; type: string; attribute?: string } {
  const importName = (value as { 'Fn::ImportValue'?: unknown } | undefined)?.['Fn::ImportValue'];
  if (typeof importName !== 'string') throw new Error(`Not an import: ${JSON.stringify(value)}.`);
  const outputs = exporter.toJSON().Outputs as Record<string, { Value: unknown; Export: { Name: string } }>;
  const output = Object.values(outputs).find((o) => o.Export.Name === importName);
  if (!output) throw new Error(`No export ${importName}.`);
  const ref = output.Value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const logicalId = String(ref.Ref ?? ref['Fn::GetAtt']?.[0]);
  const resources = exporter.toJSON().Resources as Record<string, { Type: string }>;
  return { logicalId, type: String(resources[logicalId]?.Type), attribute: ref['Fn::GetAtt']?.[1] };
}
