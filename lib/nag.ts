/**
 * cdk-nag's AwsSolutions pack as a CDK policy-validation plugin: any unacknowledged finding fails
 * synthesis, in `cdk synth` and in the tests alike. Acknowledgements live next to the construct they
 * concern, each with its reason (`Validations.of(construct).acknowledge`).
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
