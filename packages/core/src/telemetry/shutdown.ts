export interface ShutdownHookOptions {
  /** Bound for this hook; a hook that takes longer is logged and skipped. @default 10000 */
  timeoutMs?: number
}

/**
 * The one way a kit resource hooks into shutdown: every sink, server and adapter that takes a `lifecycle` option
 * takes this (core's `createLifecycle()` from `@vivr/core/node` is one; any object with `onShutdown` fits).
 */
export interface ShutdownRegistry {
  /** Hooks run in reverse registration order (last opened, first closed). */
  onShutdown(name: string, hook: () => unknown, options?: ShutdownHookOptions): void
}
