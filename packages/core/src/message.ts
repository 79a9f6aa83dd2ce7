import { createSanitizer, UNREADABLE } from './sanitize.js'

/** A readable message for anything thrown: Error message, string, or a JSON-ish rendering, never a throw. */
export function messageOf(error: unknown): string {
  try {
    if (typeof error === 'string') return error
    if (error === undefined || error === null) return String(error)
    if (typeof error !== 'object' && typeof error !== 'function') return String(error)
    const message: unknown = Reflect.get(error, 'message')
    if (typeof message === 'string') return message !== '' ? message : nameOf(error)
    if (message !== undefined && message !== null) return messageOf(shortJson(message))
    if (error instanceof Error) return error.name
    return shortJson(error)
  } catch {
    return UNREADABLE
  }
}

function nameOf(error: object): string {
  const name: unknown = Reflect.get(error, 'name')
  return typeof name === 'string' ? name : 'Error'
}

const forMessages = createSanitizer({ maxDepth: 4, maxValues: 50, maxStringLength: 1024 })

/** A bounded JSON rendering of a value (messages only: at most a few dozen values, never the whole object). */
function shortJson(value: unknown): string {
  const plain = forMessages(value)
  return typeof plain === 'string' ? plain : (JSON.stringify(plain) ?? String(plain))
}
