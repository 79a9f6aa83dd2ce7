/** Longest message that leaves the process through health output or error responses. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 512

const MASK = '***'

type Replacer = (match: string, ...groups: string[]) => string

// Each rule keeps enough context to read the message and drops the secret itself.
const RULES: ReadonlyArray<readonly [RegExp, Replacer]> = [
  // scheme://user:password@host → scheme://***@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi, (_, scheme) => `${scheme}${MASK}@`],
  // Authorization header values
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{6,}/g, (_, kind) => `${kind} ${MASK}`],
  // Stripe secret, restricted, publishable keys and webhook secrets
  [/\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]+/g, (_, kind, mode) => `${kind}_${mode}_${MASK}`],
  [/\bwhsec_[A-Za-z0-9]+/g, () => `whsec_${MASK}`],
  // password=…, token: …, "secret":"…", api_key=… (query strings, DSNs, JSON, logfmt)
  [
    /\b((?:pass(?:word|wd)?|pwd|secret|token|access[_-]?token|refresh[_-]?token|api[_-]?key|client[_-]?secret)"?\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,"'}]+)/gi,
    (_, key = '', value = '') => {
      const quote = value.startsWith('"') || value.startsWith("'") ? value[0] : ''
      return `${key}${quote}${MASK}${quote}`
    },
  ],
]

// Card numbers start with 2–6 (Mastercard, Amex, Visa, Discover...); epoch milliseconds start with 1.
const CARD_CANDIDATE = /\b[2-6](?:[ -]?\d){12,18}\b/g

function passesLuhn(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

function maskCardNumbers(text: string): string {
  return text.replace(CARD_CANDIDATE, (match) => {
    const digits = match.replace(/[ -]/g, '')
    return digits.length >= 13 && digits.length <= 19 && passesLuhn(digits)
      ? `****${digits.slice(-4)}`
      : match
  })
}

/**
 * Removes credentials from free text: URL userinfo, bearer/basic tokens, Stripe keys, `password=`/`token=`-style
 * pairs and card numbers (Luhn-valid), then cuts the result to `maxLength` characters.
 */
export function scrubSecrets(text: string, maxLength = DEFAULT_MAX_MESSAGE_LENGTH): string {
  let out = text
  for (const [pattern, replacement] of RULES) out = out.replace(pattern, replacement)
  out = maskCardNumbers(out)
  return out.length > maxLength ? `${out.slice(0, Math.max(0, maxLength - 1))}…` : out
}

/** A readable message for anything thrown: Error message, string, or a JSON-ish rendering, never a throw. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name
  if (typeof error === 'string') return error
  if (error === undefined || error === null) return String(error)
  if (typeof error === 'object' && 'message' in error && typeof error.message === 'string')
    return error.message
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return Object.prototype.toString.call(error)
  }
}
