/**
 * The kit's one way to read the environment: `process.env` where there is a `process` (Node, Next.js' Node
 * runtime), nothing where there is none (a browser, an edge runtime), and never a throw (a hostile getter).
 */
export function readEnv(name: string): string | undefined {
  try {
    const proc: unknown = Reflect.get(globalThis, 'process')
    if (typeof proc !== 'object' || proc === null) return undefined
    const env: unknown = Reflect.get(proc, 'env')
    if (typeof env !== 'object' || env === null) return undefined
    const value: unknown = Reflect.get(env, name)
    return typeof value === 'string' ? value : undefined
  } catch {
    return undefined
  }
}
