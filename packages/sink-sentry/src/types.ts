import type { ErrorLevel } from '@vivr/core'

/** What `captureException` accepts here: the CaptureContext fields the reporter passes on. */
export interface SentryCaptureContext {
  tags?: Record<string, string>
  extra?: Record<string, unknown>
  level?: ErrorLevel
  /** `trace`: the request's trace, so the event links to it and to the request's log lines. */
  contexts?: { trace?: SentryTraceContext }
}

/** Sentry's trace context (`contexts.trace` of an event); a type, not an interface, so it is a plain record. */
export type SentryTraceContext = {
  trace_id: string
  span_id: string
}

/** A span of Sentry's own tracing, as `getActiveSpan()` returns it. */
export interface SentrySpanLike {
  spanContext(): { traceId: string; spanId: string; traceFlags?: number }
}

/** The part of a Sentry scope the reporter writes to. */
export interface SentryScopeLike {
  setContext(name: string, context: { [key: string]: unknown } | null): unknown
}

/**
 * The part of the `@sentry/node` / `@sentry/nextjs` namespace this package uses, typed structurally so either
 * SDK (and any major from 8 on) can be passed as `import * as Sentry from '@sentry/…'`.
 */
export interface SentryLike {
  captureException(exception: unknown, captureContext?: SentryCaptureContext): string
  flush(timeout?: number): PromiseLike<boolean>
  close?(timeout?: number): PromiseLike<boolean>
  /** `@sentry/nextjs` only: an error Next.js passed to `onRequestError`, with the request it failed. */
  captureRequestError?(error: unknown, request: NextRequestLike, context: NextErrorContextLike): unknown
  /** The active span of Sentry's own tracing, when it has one: its ids then win over the kit's. */
  getActiveSpan?(): SentrySpanLike | undefined
  /** Read when a span's `spanContext()` gives no valid ids. */
  spanToJSON?(span: SentrySpanLike): { trace_id?: string; span_id?: string }
  /** Used to give an error passed to `captureRequestError` the request's trace. */
  withScope?<T>(callback: (scope: SentryScopeLike) => T): T
}

/** The request Next.js passes to `onRequestError` (instrumentation.ts). */
export interface NextRequestLike {
  path: string
  method: string
  headers: Record<string, string | string[] | undefined>
}
/** Where it failed, as Next.js passes it to `onRequestError`. */
export interface NextErrorContextLike {
  routerKind: string
  routePath: string
  routeType: string
}

/** The fields of a Sentry event that `beforeSend` reads or rewrites. */
export interface SentryEventLike {
  message?: string
  level?: string
  logentry?: { message?: string; params?: unknown[] }
  exception?: {
    values?: Array<{
      type?: string
      value?: string
      stacktrace?: {
        frames?: Array<{
          context_line?: string
          pre_context?: string[]
          post_context?: string[]
          vars?: Record<string, unknown>
        }>
      }
    }>
  }
  request?: {
    url?: string
    data?: unknown
    query_string?: unknown
    cookies?: Record<string, string>
    headers?: Record<string, string>
  }
  extra?: Record<string, unknown>
  contexts?: Record<string, unknown>
  user?: Record<string, unknown>
  tags?: Record<string, unknown>
  transaction?: string
  breadcrumbs?: Array<{ message?: string; data?: Record<string, unknown> }>
  spans?: unknown[]
}

/** The hint Sentry passes to `beforeSend`. */
export interface SentryHintLike {
  originalException?: unknown
}
