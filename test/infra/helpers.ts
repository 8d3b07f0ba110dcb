/**
 * Shared set-up for the infrastructure tests: apps built exactly as bin/app.ts builds them, with
 * cdk-nag attached, so every `Template.fromStack` also proves the stack is nag-clean (an
 * unacknowledged finding makes synthesis throw). Synthesize once per file and share the result:
 * NodejsFunction runs esbuild on every synthesis.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  type EnvironmentConfig,
  type PipelineEnv,
  resolveEnvironmentConfig,
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
}

/** Builds and synthesizes one environment's app with cdk-nag; throws on any nag finding. */
export function synthPipeline(envName: PipelineEnv): SynthesizedPipeline {
  const config = resolveEnvironmentConfig({ envName });
  const app = new App({ context: APP_CONTEXT });
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
