import { createHealth, defineCheck, healthEndpoints } from '@vivr/core'
import { describe, expect, it } from 'vitest'
import { readOpsYaml } from './support/tools.js'

// Structural checks of the CloudFormation template: parsed with a YAML library and compared with the values
// ops/aws/README.md argues for. cfn-lint (PyPI) and `aws cloudformation validate-template` (AWS credentials)
// cannot run offline here; the README tells users to run them before deploying.

interface Template {
  AWSTemplateFormatVersion: string
  Parameters: Record<string, { Type: string; Default?: string | number }>
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }>
  Outputs: Record<string, { Value: unknown }>
}

const template = readOpsYaml<Template>('aws/vivr-monitoring.yml')

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
  it('is a CloudFormation template whose every Ref names a parameter or a resource', () => {
    expect(template.AWSTemplateFormatVersion).toBe('2010-09-09')
    const known = new Set([...Object.keys(template.Parameters), ...Object.keys(template.Resources)])
    const refs: string[] = []
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk)
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'Ref') refs.push(String(value))
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
