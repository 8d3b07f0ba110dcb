/**
 * The CDK app: `npx cdk synth -c env=dev|staging|prod [-c region=…] [-c alarmEmail=…]`. Validates
 * the environment before building anything, composes its stacks, and runs cdk-nag on them.
 */
import { App } from 'aws-cdk-lib';
import { environmentConfigFromContext } from '../lib/config/environment-config.ts';
import { addNagChecks } from '../lib/nag.ts';
import { buildPipeline } from '../lib/pipeline-app.ts';

const app = new App();
const config = environmentConfigFromContext((key) => app.node.tryGetContext(key), process.env);
buildPipeline(app, config);
addNagChecks(app);
app.synth();
