import { AsyncLocalStorage } from 'node:async_hooks'
import type {
  Context,
  ContextManager,
  Span,
  SpanOptions,
  TextMapGetter,
  TextMapPropagator,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api'
import {
  formatTraceparent,
  type Logger,
  type MetricSink,
  newSpanId,
  newTraceId,
  OptionError,
  parseTraceparent,
  parseTracestate,
  TAG,
  UNMATCHED_ROUTE,
} from '@vivr/core'
import { booleanOption, neverThrows } from '@vivr/core/internal'
import { otelTraceSource, recordHttpRequest, registerTraceSource } from '@vivr/core/node'
import { getObservability } from './registry.js'

type OtelApi = typeof import('@opentelemetry/api')

export interface CountNextRequestsOptions {
  /**
   * Count route handlers (`app/**\/route.ts`) too. Leave it off when they are wrapped by withObservability, which
   * counts them itself (with the request id and error handling): on, they would be counted twice.
   * @default false
   */
  routeHandlers?: boolean
  /** @default the metrics registerObservability set up, looked up when a request ends */
  metrics?: MetricSink
  /** Marked once per counted request. @default the `requestRate` registerObservability was given */
  requestRate?: { mark(): void }
  /** Where the one warning goes when counting cannot start. @default the logger registerObservability set up */
  logger?: Logger
}

/**
 * How request counting hooked into Next.js's OpenTelemetry spans: `registered` its own minimal tracer provider
 * (none was registered), `wrapped` the tracer provider already registered (Sentry's, the OpenTelemetry SDK's,
 * @vercel/otel's), or `off` (@opentelemetry/api missing, an incompatible registration, edge runtime or build).
 */
export type RequestCounting = 'registered' | 'wrapped' | 'off'

// Next.js 16.4 (node_modules/next/dist): server/lib/trace/constants.js names the spans; server/base-server.js
// starts `BaseServer.handleRequest` per request with `http.method` and `http.target`, and when the request is done
// sets `http.status_code`, `next.rsc` and (once a route matched) `next.route`, the route template; a span whose
// work ended in the BubbledError of a proxy.ts pass gets `next.bubble` (server/lib/trace/tracer.js).
const NEXT_TRACER = 'next.js'
const SPAN_TYPE = 'next.span_type'
const REQUEST_SPAN = 'BaseServer.handleRequest'
const ROUTE_HANDLER_SPAN = 'AppRouteRouteHandlers.runHandler'
/**
 * `Next-Router-Prefetch`, lower case as Node.js hands headers over: `1`, `2` or `3` by prefetch strategy
 * (next/dist/client/components/segment-cache/cache.js); Next.js itself treats `0` as none.
 */
const PREFETCH_HEADER = 'next-router-prefetch'
/** Segment prefetches (`/p.segments/_tree.segment.rsc`) and the older `/p.prefetch.rsc` form, from their path. */
const PREFETCH_PATH = /\.(segment|prefetch)\.rsc(\?|$)/
const PREFETCH = Symbol.for('@vivr/adapter-next/prefetch')
/** The request span's attributes read (OpenTelemetry's older HTTP names, as Next.js sets them). */
const ATTRIBUTE = {
  method: 'http.method',
  target: 'http.target',
  // `http.status_code`: through TAG, the one place the kit may spell that word.
  statusCode: `http.${TAG.statusCode}`,
  route: 'next.route',
  bubble: 'next.bubble',
} as const
/** The global registry every copy of @opentelemetry/api 1.x shares (internal/global-utils.js). */
const OTEL_REGISTRY = Symbol.for('opentelemetry.js.api.1')
const STATE = Symbol.for('@vivr/adapter-next/request-spans')

interface OtelRegistry {
  trace?: unknown
  context?: unknown
  propagation?: unknown
}

interface ProxyProvider extends TracerProvider {
  getDelegate(): TracerProvider
  setDelegate(delegate: TracerProvider): void
}

/** One request span, from its start to its end. */
interface RequestRecord {
  readonly startedAt: number
  readonly attributes: Record<string, unknown>
  prefetch: boolean
  routeHandler: boolean
}

type State = { [STATE]?: { counting: Promise<RequestCounting>; options: CountNextRequestsOptions } }

/**
 * Counts every request Next.js serves — pages, server components, server actions, not-found and error pages —
 * once, as `http.requests` / `http.request.duration` / `errors.count` tagged `{ method, route, status_code }` (the
 * tags withObservability and every other adapter use), `route` being Next.js's route template (`/products/[id]`,
 * `unmatched` when no route matched). It reads the `BaseServer.handleRequest` span Next.js opens per request, so
 * it needs `@opentelemetry/api`; without it, one warning and nothing counted. Router prefetches are not counted
 * (they are no visits). Route handlers are left to withObservability unless `routeHandlers` is on.
 *
 * Once per process; registerObservability calls it with `countRequests`. A tracer provider registered before it
 * (Sentry.init, the OpenTelemetry SDK) is wrapped, not replaced; register yours before, since OpenTelemetry takes
 * only the first. Never throws.
 *
 * It also makes Next.js's spans the trace of every log line written while they are active (pages, server
 * components, actions, route handlers): core's `otelTraceSource` is registered (docs/tracing.md#nextjs). Its own
 * provider's spans record nothing but carry W3C ids, continuing a valid incoming `traceparent`.
 */
export function countNextRequests(options: CountNextRequestsOptions = {}): Promise<RequestCounting> {
  countRequestsOption(options)
  const state = globalThis as State
  const current = state[STATE]
  if (current) {
    current.options = options
    return current.counting
  }
  const slot = { options, counting: Promise.resolve<RequestCounting>('off') }
  slot.counting = start(() => slot.options).catch(() => 'off' as const)
  state[STATE] = slot
  return slot.counting
}

/** registerObservability's `countRequests`: `true` or the options, checked; `undefined` when off. */
export function countRequestsOption(value: unknown): CountNextRequestsOptions | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return {}
  if (typeof value !== 'object' || value === null) {
    throw new OptionError('countRequests', value, 'true, or { routeHandlers? }')
  }
  const options = value as CountNextRequestsOptions
  booleanOption('countRequests.routeHandlers', options.routeHandlers)
  return options
}

async function start(options: () => CountNextRequestsOptions): Promise<RequestCounting> {
  const warn = (message: string) =>
    (options().logger ?? getObservability()?.logger)?.warn(message, { option: 'countRequests' })
  if (process.env.NEXT_RUNTIME === 'edge' || process.env.NEXT_PHASE === 'phase-production-build') return 'off'
  let api: OtelApi
  try {
    api = await import('@opentelemetry/api')
  } catch {
    warn('page requests are not counted: install @opentelemetry/api (Next.js reports requests through it)')
    return 'off'
  }
  const counting = install(api, createCounter(options))
  if (counting === 'off') {
    warn(
      'page requests are not counted: no OpenTelemetry tracer provider could be registered or wrapped here',
    )
  } else {
    // Log lines carry the active Next.js span's ids (the provider's, or ours), read when each is written.
    registerTraceSource(otelTraceSource(api))
  }
  return counting
}

/** What to do with a request span once it has ended. */
function createCounter(options: () => CountNextRequestsOptions) {
  return neverThrows((record: RequestRecord): void => {
    const { attributes } = record
    // The proxy.ts pass (the render pass that follows has a span of its own), and router prefetches.
    if (attributes[ATTRIBUTE.bubble] === true || record.prefetch) return
    const target = attributes[ATTRIBUTE.target]
    if (typeof target === 'string' && PREFETCH_PATH.test(target)) return
    const current = options()
    if (record.routeHandler && !current.routeHandlers) return
    const metrics = current.metrics ?? getObservability()?.metrics
    const method = attributes[ATTRIBUTE.method]
    if (!metrics || typeof method !== 'string') return
    const status = attributes[ATTRIBUTE.statusCode]
    const route = attributes[ATTRIBUTE.route]
    recordHttpRequest(
      metrics,
      {
        method,
        route: typeof route === 'string' && route !== '' ? route : UNMATCHED_ROUTE,
        // Set in base-server.js's `finally`, so always there; a span without it ended with an error thrown.
        statusCode: typeof status === 'number' ? status : 500,
      },
      performance.now() - record.startedAt,
    )
    ;(current.requestRate ?? getObservability()?.requestRate)?.mark()
  })
}

function install(api: OtelApi, count: (record: RequestRecord) => void): RequestCounting {
  const registry = () => (globalThis as { [OTEL_REGISTRY]?: OtelRegistry })[OTEL_REGISTRY]
  const watch: Watch = {
    requests: new AsyncLocalStorage<RequestRecord>(),
    isPrefetch: () => api.context.active().getValue(PREFETCH) === true,
    count,
  }
  const registered = registry()?.trace
  let counting: RequestCounting
  if (registered === undefined) {
    if (!api.trace.setGlobalTracerProvider(watchedProvider(ownTracer(api), watch))) return 'off'
    counting = 'registered'
  } else if (isProxyProvider(registered)) {
    // Swapping the delegate of the registered proxy keeps everyone's reference to it (Next.js asks it for a
    // tracer per span) and the provider itself (Sentry keeps its own) untouched.
    registered.setDelegate(watchedProvider(registered.getDelegate(), watch))
    counting = 'wrapped'
  } else {
    return 'off'
  }
  // Next.js keeps the route of a request in the active context: without a context manager, no `next.route`.
  if (registry()?.context === undefined) api.context.setGlobalContextManager(asyncContextManager(api))
  const propagator = registry()?.propagation
  if (propagator === undefined) api.propagation.setGlobalPropagator(ownPropagator(api))
  else markPrefetchesOn(propagator)
  return counting
}

function isProxyProvider(value: unknown): value is ProxyProvider {
  const candidate = value as Partial<ProxyProvider> | null
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.getDelegate === 'function' &&
    typeof candidate.setDelegate === 'function' &&
    typeof candidate.getTracer === 'function'
  )
}

/** What the watched tracer shares: the request a span belongs to, the prefetch mark, and what counts a request. */
interface Watch {
  requests: AsyncLocalStorage<RequestRecord>
  /** Whether the active context carries the prefetch mark. */
  isPrefetch(): boolean
  count(record: RequestRecord): void
}

/**
 * The tracer provider Next.js gets: the one registered before (every call forwarded, so its owner still finds its
 * own methods), or ours over our tracer; only Next.js's own tracer is watched.
 */
function watchedProvider(inner: TracerProvider | Tracer, watch: Watch): TracerProvider {
  const provider = 'getTracer' in inner ? inner : undefined
  const watched = new WeakMap<Tracer, Tracer>()
  const getTracer = (name: string, version?: string, options?: unknown): Tracer => {
    const tracer = provider
      ? provider.getTracer(name, version, options as Parameters<TracerProvider['getTracer']>[2])
      : (inner as Tracer)
    if (name !== NEXT_TRACER) return tracer
    let wrapper = watched.get(tracer)
    if (!wrapper) {
      wrapper = watchedTracer(tracer, watch)
      watched.set(tracer, wrapper)
    }
    return wrapper
  }
  if (!provider) return { getTracer }
  return new Proxy(provider, {
    get(target, property) {
      if (property === 'getTracer') return getTracer
      const value: unknown = Reflect.get(target, property, target)
      // Methods stay bound to their provider; `constructor` stays itself (Next.js reads its name).
      return typeof value === 'function' && property !== 'constructor' ? value.bind(target) : value
    },
  })
}

function watchedTracer(tracer: Tracer, { requests, isPrefetch, count }: Watch): Tracer {
  const typeOf = (options: SpanOptions | undefined) =>
    typeof options === 'object' && options !== null ? options.attributes?.[SPAN_TYPE] : undefined
  const noteRouteHandler = (options: SpanOptions | undefined) => {
    if (typeOf(options) !== ROUTE_HANDLER_SPAN) return
    const record = requests.getStore()
    if (record) record.routeHandler = true
  }
  return {
    startSpan(name, options, context) {
      noteRouteHandler(options)
      return tracer.startSpan(name, options, context)
    },
    startActiveSpan(name: string, ...rest: unknown[]) {
      const fn = rest.at(-1) as (span: Span) => unknown
      const options = (rest.length > 1 ? rest[0] : undefined) as SpanOptions | undefined
      if (typeOf(options) !== REQUEST_SPAN || typeof fn !== 'function') {
        noteRouteHandler(options)
        return Reflect.apply(tracer.startActiveSpan, tracer, [name, ...rest])
      }
      const record: RequestRecord = {
        startedAt: performance.now(),
        attributes: { ...options?.attributes },
        // The context the span starts in carries what the propagator saw in the request's headers.
        prefetch: isPrefetch(),
        routeHandler: false,
      }
      return Reflect.apply(tracer.startActiveSpan, tracer, [
        name,
        ...rest.slice(0, -1),
        (span: Span) => {
          watchSpan(span, record, count)
          return requests.run(record, () => fn(span))
        },
      ])
    },
  } as Tracer
}

/** Records the attributes Next.js sets on the request span and counts it on `end()`; the span stays itself. */
function watchSpan(span: Span, record: RequestRecord, count: (record: RequestRecord) => void): void {
  try {
    const { setAttribute, setAttributes, end } = span
    let ended = false
    span.setAttribute = function (this: Span, key, value) {
      record.attributes[key] = value
      return setAttribute.call(this, key, value)
    }
    span.setAttributes = function (this: Span, attributes) {
      Object.assign(record.attributes, attributes)
      return setAttributes.call(this, attributes)
    }
    span.end = function (this: Span, endTime) {
      if (!ended) {
        ended = true
        count(record)
      }
      return end.call(this, endTime)
    }
  } catch {
    // A span that cannot be watched (frozen) is not counted; the request goes on untouched.
  }
}

// The prefetch mark travels in the OpenTelemetry context: the propagator sees the request's headers (Next.js
// extracts trace context from them right before it opens the request span) and marks the context it returns.
function hasPrefetchHeader(carrier: unknown, getter: TextMapGetter | undefined): boolean {
  try {
    const raw = getter ? getter.get(carrier, PREFETCH_HEADER) : undefined
    const value = Array.isArray(raw) ? raw[0] : raw
    return typeof value === 'string' && value !== '' && value !== '0'
  } catch {
    return false
  }
}

const MARKED = Symbol.for('@vivr/adapter-next/marks-prefetches')

/** Makes the registered propagator mark the contexts it extracts from prefetch requests. */
function markPrefetchesOn(propagator: unknown): void {
  const target = propagator as TextMapPropagator & { [MARKED]?: true }
  if (typeof target?.extract !== 'function' || target[MARKED]) return
  const extract = target.extract
  target.extract = function (this: TextMapPropagator, context, carrier, getter) {
    const extracted: Context = extract.call(this, context, carrier, getter)
    return hasPrefetchHeader(carrier, getter) ? extracted.setValue(PREFETCH, true) : extracted
  }
  target[MARKED] = true
}

function headerValue(carrier: unknown, getter: TextMapGetter | undefined, name: string): unknown {
  const raw = getter ? getter.get(carrier, name) : undefined
  return Array.isArray(raw) ? raw[0] : raw
}

/**
 * The propagator registered when none was: W3C `traceparent` / `tracestate` in and out (read strictly by core: a
 * malformed header is ignored), and the prefetch mark.
 */
function ownPropagator(api: OtelApi): TextMapPropagator {
  return {
    inject(context, carrier, setter) {
      const span = api.trace.getSpanContext(context)
      if (span === undefined || !api.trace.isSpanContextValid(span)) return
      const sampled = (span.traceFlags & api.TraceFlags.SAMPLED) === api.TraceFlags.SAMPLED
      setter.set(carrier, 'traceparent', formatTraceparent({ ...span, sampled }))
      const state = span.traceState?.serialize()
      if (state) setter.set(carrier, 'tracestate', state)
    },
    extract(context, carrier, getter) {
      let extracted = context
      try {
        const parent = parseTraceparent(headerValue(carrier, getter, 'traceparent'))
        if (parent?.parentSpanId !== undefined) {
          const state = parseTracestate(headerValue(carrier, getter, 'tracestate'))
          extracted = api.trace.setSpanContext(context, {
            traceId: parent.traceId,
            spanId: parent.parentSpanId,
            traceFlags: parent.sampled ? api.TraceFlags.SAMPLED : api.TraceFlags.NONE,
            isRemote: true,
            ...(state !== undefined && typeof api.createTraceState === 'function'
              ? { traceState: api.createTraceState(state) }
              : {}),
          })
        }
      } catch {
        // A header that cannot be read continues no trace.
      }
      return hasPrefetchHeader(carrier, getter) ? extracted.setValue(PREFETCH, true) : extracted
    },
    fields: () => ['traceparent', 'tracestate'],
  }
}

/** The context manager registered when none was, as @opentelemetry/context-async-hooks does it. */
function asyncContextManager(api: OtelApi): ContextManager {
  const storage = new AsyncLocalStorage<Context>()
  const manager: ContextManager = {
    active: () => storage.getStore() ?? api.ROOT_CONTEXT,
    with(context, fn, thisArg, ...args) {
      return storage.run(context, thisArg === undefined ? fn : fn.bind(thisArg), ...args)
    },
    bind(context, target) {
      if (typeof target !== 'function') return target
      return function (this: unknown, ...args: unknown[]) {
        return manager.with(context, () => Reflect.apply(target, this, args))
      } as typeof target
    },
    enable: () => manager,
    disable() {
      storage.disable()
      return manager
    },
  }
  return manager
}

/**
 * The tracer when no provider was registered: spans that record nothing (the watcher records what it needs) but
 * carry W3C ids, so log lines written inside them are linked: a child of the context's span (same trace, flags
 * and trace state), or, without one (or with `root`), a new sampled trace.
 */
function ownTracer(api: OtelApi): Tracer {
  const span = (parentContext: Context, options: SpanOptions | undefined): Span => {
    const parent = options?.root ? undefined : api.trace.getSpanContext(parentContext)
    if (parent === undefined || !api.trace.isSpanContextValid(parent)) {
      return api.trace.wrapSpanContext({
        traceId: newTraceId(),
        spanId: newSpanId(),
        traceFlags: api.TraceFlags.SAMPLED,
      })
    }
    return api.trace.wrapSpanContext({
      traceId: parent.traceId,
      spanId: newSpanId(),
      traceFlags: parent.traceFlags,
      ...(parent.traceState ? { traceState: parent.traceState } : {}),
    })
  }
  return {
    startSpan: (_name, options, context) => span(context ?? api.context.active(), options),
    startActiveSpan(_name: string, ...rest: unknown[]) {
      const fn = rest.at(-1) as (span: Span) => unknown
      const options = (rest.length > 1 ? rest[0] : undefined) as SpanOptions | undefined
      const context = ((rest.length > 2 ? rest[1] : undefined) as Context | undefined) ?? api.context.active()
      const started = span(context, options)
      return api.context.with(api.trace.setSpan(context, started), fn, undefined, started)
    },
  } as Tracer
}
