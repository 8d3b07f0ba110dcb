/**
 * The CDK app: `npx cdk synth -c env=dev|staging|prod`. Stacks are added here as their constructs
 * land in lib/; this entry only composes them.
 */
import { App } from 'aws-cdk-lib';

const app = new App();
const envName = app.node.tryGetContext('env') ?? 'dev';
if (!['dev', 'staging', 'prod'].includes(envName)) {
  throw new Error(`Unknown environment '${envName}': pass -c env=dev, staging or prod.`);
}
app.synth();
