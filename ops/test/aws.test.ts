import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHealth, defineCheck, healthEndpoints } from '@vivr/core'
import { type App, aws_sns as sns, Validations } from 'aws-cdk-lib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApp, STACK_NAME } from '../aws/app.js'
import { AWS_DIR, TEMPLATE_FILE, templateYaml } from '../aws/generate.js'
import { sloAlarmResources } from '../slo/cloudwatch.js'
import { objectives } from '../slo/objectives.js'
import { readOpsYaml } from './support/tools.js'

// ops/aws is a CDK app; ops/aws/vivr-monitoring.yml is what it synthesises (`npm run ops:aws`). The app is
// synthesised here once, offline and in-process: CDK validates the constructs and the template, cdk-nag's
// AwsSolutions rules run as a validation plugin (an unacknowledged finding fails the synth). The committed YAML
// must be that synth, and its values are the ones ops/aws/README.md argues for. cfn-lint (PyPI) and
// `aws cloudformation validate-template` (AWS credentials) cannot run offline here; the README names them.

interface Template {
  AWSTemplateFormatVersion: string
  Parameters: Record<string, { Type: string; Default?: string | number }>
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>
  Outputs: Record<string, { Value: unknown }>
}

const template = readOpsYaml<Template>('aws/vivr-monitoring.yml')

let outdir: string
let app: App
let synthesized: Record<string, unknown>
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'vivr-cdk-test-'))
  app = createApp({ outdir }).app
  synthesized = app.synth().getStackByName(STACK_NAME).template as Record<string, unknown>
})
afterAll(() => rmSync(outdir, { recursive: true, force: true }))

describe('ops/aws (CDK app)', () => {
  it('synthesises offline to exactly the committed vivr-monitoring.yml', () => {
    const committed = readFileSync(join(AWS_DIR, TEMPLATE_FILE), 'utf8')
    expect(committed, 'stale: run `npm run ops:aws` and commit what it writes').toBe(
      templateYaml(synthesized),
    )
  })

  it('needs no CDK bootstrap to deploy the YAML: no BootstrapVersion parameter or rule, no CDKMetadata', () => {
    expect(Object.keys(template.Parameters)).not.toContain('BootstrapVersion')
    expect(synthesized.Rules).toBeUndefined()
    expect(Object.values(template.Resources).map((r) => r.Type)).not.toContain('AWS::CDK::Metadata')
  })

  it('passes cdk-nag AwsSolutions with no acknowledged finding (each would need a reason in the code)', () => {
    const acknowledged = app.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata
          .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
          .map((entry) => ({ path: construct.node.path, ...(entry.data as { id: string; reason: string }) })),
      )
    for (const { path, id, reason } of acknowledged)
      expect(reason.length, `${path} ${id}`).toBeGreaterThan(20)
    expect(acknowledged.map(({ id }) => id)).toEqual([])
  })

  it('fails the synth on a cdk-nag finding (the rules really run)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vivr-cdk-nag-'))
    try {
      const { app: broken, stack } = createApp({ outdir: dir })
      new sns.Topic(stack, 'PlainTopic') // publishers not forced to TLS: AwsSolutions-SNS3
      let failure: unknown
      try {
        broken.synth()
      } catch (error) {
        failure = error
      }
      expect(String(failure)).toContain('AwsSolutions-SNS3')
      expect(String(failure)).toContain(`${STACK_NAME}/PlainTopic`)
      // Only the added topic: the stack's own resources pass.
      expect(
        String(failure)
          .match(/AwsSolutions-\w+/g)
          ?.every((id) => id === 'AwsSolutions-SNS3'),
      ).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('holds the SLO alarms exactly as ops/slo/cloudwatch.ts generates them, with its own topics', () => {
    const expected = sloAlarmResources(objectives, {
      page: { Ref: 'PageTopic' },
      ticket: { Ref: 'TicketTopic' },
    })
    expect(Object.keys(expected).length).toBe(objectives.length * 10)
    for (const [id, resource] of Object.entries(expected))
      expect(template.Resources[id], id).toEqual(resource)
  })

  it('routes critical alarms to the page topic, warning and info to the ticket topic, with a runbook each', () => {
    const routes: Record<string, string> = {
      ServiceDown: 'PageTopic',
      HighErrorRate: 'PageTopic',
      HealthCheckFailing: 'PageTopic',
      HighResponseTime: 'TicketTopic',
      HighMemoryUsage: 'TicketTopic',
      EventLoopDelayHigh: 'TicketTopic',
      SlowQueryDetected: 'TicketTopic',
    }
    for (const [alarm, topic] of Object.entries(routes)) {
      const { Type, Properties } = template.Resources[alarm]!
      expect(Type).toBe('AWS::CloudWatch::Alarm')
      expect(Properties.AlarmActions, alarm).toEqual([{ Ref: topic }])
      expect(Properties.OKActions, alarm).toEqual([{ Ref: topic }])
      const runbook = /Runbook: (ops\/runbooks\/\w+\.md)/.exec(String(Properties.AlarmDescription))?.[1]
      expect(runbook, alarm).toBe(`ops/runbooks/${alarm}.md`)
      expect(() => readFileSync(join(AWS_DIR, '../..', runbook!)), runbook).not.toThrow()
    }
    // Every alarm with actions notifies one of the two topics; the SLO window alarms notify none.
    for (const [id, { Type, Properties }] of Object.entries(template.Resources)) {
      if (!Type.startsWith('AWS::CloudWatch::') || Type === 'AWS::CloudWatch::Dashboard') continue
      for (const action of (Properties.AlarmActions ?? []) as unknown[])
        expect([{ Ref: 'PageTopic' }, { Ref: 'TicketTopic' }], id).toContainEqual(action)
    }
  })

  it('keeps the guide thresholds: 5% errors, p95 5 s, 90% memory, 100 ms loop delay, no healthy host', () => {
    const props = (id: string) => template.Resources[id]!.Properties
    expect(props('HighErrorRate')).toMatchObject({
      Threshold: 0.05,
      ComparisonOperator: 'GreaterThanThreshold',
    })
    expect(props('HighResponseTime')).toMatchObject({
      Threshold: 5000,
      ExtendedStatistic: 'p95',
      Unit: 'Milliseconds',
    })
    expect(props('HighMemoryUsage')).toMatchObject({ Threshold: 90 })
    expect(props('EventLoopDelayHigh')).toMatchObject({ Threshold: 100 })
    expect(props('ServiceDown')).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    })
  })

  it('has a dashboard with the rows of the Grafana one', () => {
    const dashboard = Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard')
    expect(dashboard).toHaveLength(1)
    const body = JSON.stringify(dashboard[0]!.Properties.DashboardBody)
    for (const row of ['Overview', 'Traffic', 'Health', 'Database', 'Business', 'Runtime'])
      expect(body).toContain(`## ${row}`)
  })
})

/** Resolves `{ Ref: Param }` and `{ 'Fn::Sub': '…${Param}…' }` with the parameters' defaults. */
function resolve(value: unknown): unknown {
  if (value && typeof value === 'object') {
    const ref = (value as { Ref?: string }).Ref
    if (ref !== undefined) return template.Parameters[ref]?.Default ?? `<${ref}>`
    const sub = (value as { 'Fn::Sub'?: string })['Fn::Sub']
    if (typeof sub === 'string')
      return sub.replace(/\$\{(\w+)\}/g, (_, name) => String(resolve({ Ref: name })))
  }
  return value
}

function resourceOfType(type: string) {
  const found = Object.values(template.Resources).filter((resource) => resource.Type === type)
  expect(found, type).toHaveLength(1)
  return found[0]!
}

describe('ops/aws/vivr-monitoring.yml', () => {
  it('is a CloudFormation template whose every Ref, Fn::Sub and Fn::GetAtt names a parameter or a resource', () => {
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09')
    const known = new Set([
      ...Object.keys(template.Parameters),
      ...Object.keys(template.Resources),
      'AWS::Region',
    ])
    const refs: string[] = []
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk)
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'Ref') refs.push(String(value))
          else if (key === 'Fn::GetAtt') refs.push(String((value as string[])[0]))
          else if (key === 'Fn::Sub' && typeof value === 'string') {
            for (const [, name] of value.matchAll(/\$\{(\w+)\}/g)) refs.push(name!)
          } else walk(value)
        }
      }
    }
    walk(template.Resources)
    walk(template.Outputs)
    expect(refs.length).toBeGreaterThan(4)
    for (const ref of refs) expect(known, ref).toContain(ref)
  })

  it('health-checks the readiness endpoint on port 3000 every 30 s with a 5 s timeout, 2/2 thresholds, 200', () => {
    const { Properties: tg } = resourceOfType('AWS::ElasticLoadBalancingV2::TargetGroup')
    expect(tg).toMatchObject({
      Protocol: 'HTTP',
      Port: 3000,
      HealthCheckEnabled: true,
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/api/health/ready',
      HealthCheckPort: '3000',
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      Matcher: { HttpCode: '200' },
    })
    expect(resolve(tg.VpcId)).toBe('<VpcId>')
  })

  it('keeps the timing relations the README argues for', () => {
    const { Properties: tg } = resourceOfType('AWS::ElasticLoadBalancingV2::TargetGroup')
    const interval = tg.HealthCheckIntervalSeconds as number
    const timeout = tg.HealthCheckTimeoutSeconds as number
    // AWS rejects a timeout that is not shorter than the interval.
    expect(timeout).toBeLessThan(interval)
    // Time for the ALB to notice a failing readiness: what a drain delay must cover without deregistration.
    expect(interval * (tg.UnhealthyThresholdCount as number) + timeout).toBe(65)
  })

  it("gets readiness's own 503 well inside the ALB timeout when a dependency hangs (core's default deadline)", async () => {
    const { Properties: tg } = resourceOfType('AWS::ElasticLoadBalancingV2::TargetGroup')
    const albTimeoutMs = (tg.HealthCheckTimeoutSeconds as number) * 1000
    const hangs = defineCheck({ name: 'redis', tags: ['ready'], run: () => new Promise<never>(() => {}) })
    const { ready } = healthEndpoints(createHealth({ checks: [hangs], includeMetrics: false }))

    const startedAt = performance.now()
    const response = await ready(new Request('http://127.0.0.1:3000/api/health/ready'))
    const elapsedMs = performance.now() - startedAt
    const body = (await response.json()) as { checks: Record<string, { message?: string }> }

    expect(response.status).toBe(503)
    const deadlineMs = Number(/timed out after (\d+)ms/.exec(body.checks.redis?.message ?? '')?.[1])
    expect(deadlineMs).toBeGreaterThan(0)
    // At least 2 s of headroom between the app's deadline and the ALB's (README: "Why a 5 s timeout").
    expect(albTimeoutMs - deadlineMs).toBeGreaterThanOrEqual(2000)
    // The very first readiness request runs the ready checks twice (healthEndpoints first learns whether any
    // check is tagged `ready`), so it can take two deadlines: still inside the ALB's timeout.
    expect(elapsedMs).toBeLessThan(albTimeoutMs)
  })

  it('drains deregistered targets for 30 s, not the 300 s AWS default', () => {
    const { Properties: tg } = resourceOfType('AWS::ElasticLoadBalancingV2::TargetGroup')
    const attributes = tg.TargetGroupAttributes as { Key: string; Value: unknown }[]
    const delay = attributes.find((a) => a.Key === 'deregistration_delay.timeout_seconds')
    expect(Number(resolve(delay?.Value))).toBe(30)
    expect(template.Parameters.DeregistrationDelaySeconds?.Type).toBe('Number')
  })

  it('creates the log group /vivr/production/app with 30-day retention, kept when the stack goes', () => {
    const logGroup = resourceOfType('AWS::Logs::LogGroup')
    expect(resolve(logGroup.Properties.LogGroupName)).toBe('/vivr/production/app')
    expect(logGroup.Properties.RetentionInDays).toBe(30)
    expect(logGroup.DeletionPolicy).toBe('Retain')
  })
})
