import { messageOf } from '@vivr/core'
import { expect } from 'vitest'
import { describeErrorReporterContract, describeMetricSinkContract } from '../src/contracts.js'
import { memoryMetrics, memoryReporter } from '../src/index.js'

// The doubles users test their apps with keep the same contracts as the real sinks: a test that passes against a
// double does not hide a behaviour the real sink would show.

describeMetricSinkContract('memoryMetrics (test double)', () => {
  const sink = memoryMetrics()
  return {
    sink,
    expectDelivered: async (sent) => {
      expect(sink.calls.map(({ kind, name, value, tags }) => ({ kind, name, value, tags }))).toEqual(
        sent.map(({ kind, name, value, tags }) => ({ kind, name, value, tags })),
      )
    },
  }
})

describeErrorReporterContract('memoryReporter (test double)', () => {
  const reporter = memoryReporter()
  return {
    reporter,
    received: () =>
      reporter.captured.map(({ eventId, error, context }) => ({
        eventId,
        message: messageOf(error),
        tags: { ...context.tags },
        extra: { ...context.extra },
        level: context.level,
      })),
  }
})
