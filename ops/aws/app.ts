import { pathToFileURL } from 'node:url'
import { App, DefaultStackSynthesizer, Validations } from 'aws-cdk-lib'
import { AwsSolutionsChecks } from 'cdk-nag'
import { VivrMonitoringStack } from './stack.js'

/*
 * The CDK app of ops/aws: one stack, VivrMonitoring, checked by cdk-nag's AwsSolutions rules on every synth (a
 * violation that is not acknowledged in the code with a reason fails the synth) and by CDK's built-in
 * CloudFormation validation. `cdk deploy` runs this file (ops/aws/cdk.json); `npm run ops:aws` synthesises it
 * in-process and writes vivr-monitoring.yml for those who deploy without the CDK.
 */

export const STACK_NAME = 'VivrMonitoring'

export interface VivrApp {
  app: App
  stack: VivrMonitoringStack
}

/** The app; `outdir` for an in-process synth (the CDK CLI passes its own through CDK_OUTDIR). */
export function createApp(options: { outdir?: string } = {}): VivrApp {
  const app = new App({
    ...(options.outdir !== undefined && { outdir: options.outdir }),
    // The committed template must deploy without the CDK: no bootstrap-version parameter or rule, no
    // CDKMetadata resource. `cdk deploy` needs neither (the stack has no assets).
    analyticsReporting: false,
    defaultStackSynthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
  })
  const stack = new VivrMonitoringStack(app, STACK_NAME, {
    description:
      'VIVR monitoring: the ALB target group probing readiness, the CloudWatch Logs group, a CloudWatch ' +
      'dashboard and alarms on the EMF metrics of @vivr/sink-cloudwatch (the guide alerts and the SLO ' +
      'burn rates), paging and ticket SNS topics. Generated from ops/aws (CDK); reasoning in ops/aws/README.md.',
  })
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }))
  return { app, stack }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) createApp().app.synth()
