/**
 * The CloudFormation templates of one environment, synthesized as `cdk synth` would (same stacks,
 * same configuration) but without running esbuild: the cost reads sizes and counts, not bundles.
 */
import { App } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';
import type { EnvironmentConfig } from '../../lib/config/environment-config.ts';
import { buildPipeline } from '../../lib/pipeline-app.ts';
import type { Templates } from './estimate.ts';

export function synthTemplates(config: EnvironmentConfig): Templates {
  const app = new App({
    context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong', [BUNDLING_STACKS]: [] },
  });
  const stacks = buildPipeline(app, config);
  const assembly = app.synth();
  return Object.fromEntries(
    Object.values(stacks).map((s) => [s.stackName, assembly.getStackByName(s.stackName).template]),
  );
}
