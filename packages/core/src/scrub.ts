/** Longest message that leaves the process through health output or error responses. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 512

/** What replaces a secret inside free text. */
export const MASK = '***'

/**
 * Text past `maxLength` is cut before any rule runs, with this much kept beyond the limit so a secret that
 * straddles the final cut is still recognised (and masked) before it is cut.
 */
const LOOKAHEAD_CHARS = 1024

type Replacer = (match: string, ...groups: string[]) => string

/*
 * Every rule is linear in its input. Two patterns make a regular expression quadratic: a run whose scan is
 * repeated from every start position inside the same run, and a failed match that rescans a long tail. So each
 * rule either starts on a literal (`bearer`, `sk_live_`, `eyJ`) or only at the first character of a run (a
 * lookbehind rejects starts inside it), and every quantifier that may scan and then fail is bounded.
 */

const AUTH_SCHEMES = 'bearer|basic|token|digest|negotiate|ntlm|apikey'
const SCHEME_PREFIX = new RegExp(`^(?:${AUTH_SCHEMES})\\s{1,8}`, 'i')

/** Keys whose value is a secret wherever they stand: `DB_PASSWORD=`, `"newPassword":`, `github_token:`. */
const SENSITIVE_WORD =
  'pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|auth(?:orization)?(?![a-z])|(?:set-)?cookie|credential|dsn|connection[_-]?string|jwt|cvv|cvc|card[_-]?number|signature'

const VALUE =
  // an escaped JSON string inside JSON, a single-quoted string, or a bare word (double-quoted values have a rule
  // of their own)
  '\\\\+"(?:[^"\\\\\\r\\n]|\\\\+[^"\\\\\\r\\n]){0,2048}\\\\+"|\'[^\'\\r\\n]{0,2048}\'|[^\\s&;,"\'}\\]\\\\)]{1,2048}'

/** Values of a secret-named key that are not secrets, so `password: null` stays readable. */
const NOT_SECRET = new Set([
  'null',
  'undefined',
  'true',
  'false',
  'none',
  '***',
  '[redacted]',
  // `Authorization: Bearer ***` after the header rule: the scheme is not the secret.
  ...AUTH_SCHEMES.split('|'),
])
const BACKSLASH = 92
const DOUBLE_QUOTE = 34
const SINGLE_QUOTE = 39

const REPLACEMENTS: ReadonlyArray<readonly [RegExp, Replacer | string]> = [
  // PEM private keys: the body goes, the armour stays.
  [
    /(-----BEGIN [A-Z ]{0,30}PRIVATE KEY-----)[A-Za-z0-9+/=\s\\]*(-----END [A-Z ]{0,30}PRIVATE KEY-----)?/g,
    (_, begin, end = '') => `${begin}${MASK}${end}`,
  ],
  // Header lines: `Authorization: …`, `Cookie: …`, `Set-Cookie: …` lose their whole value (a scheme stays).
  [
    /\b((?:proxy-)?authorization|(?:set-)?cookie|x-api-key|x-auth-token)([ \t]{0,8}[:=][ \t]{0,8})(?!["'\\])([^\r\n]{1,4096})/gi,
    (_, name, separator, value = '') => `${name}${separator}${SCHEME_PREFIX.exec(value)?.[0] ?? ''}${MASK}`,
  ],
  // Authorization schemes in any case: `Bearer …` always (a pattern, no callback per match)…
  [/\b(bearer)(\s{1,8})[A-Za-z0-9._~+/=-]{6,}/gi, `$1$2${MASK}`],
  // …`basic …`, `TOKEN …` when what follows looks like a credential: `Token expired` is prose; a credential has a
  // digit, a capital, a symbol, or length.
  [
    new RegExp(`\\b(${AUTH_SCHEMES})(\\s{1,8})([A-Za-z0-9._~+/=-]{6,})`, 'gi'),
    (match, scheme, space, credential = '') =>
      credential !== MASK && (/[^a-z]/.test(credential) || credential.length >= 20)
        ? `${scheme}${space}${MASK}`
        : match,
  ],
  // "newPassword":"…", password: "…": a double-quoted value, replaced by a pattern rather than a callback (JSON
  // is the densest input there is). A string cut before its closing quote is masked to the end of its line.
  [
    new RegExp(
      `(${SENSITIVE_WORD})([\\w.-]{0,40}?"?[ \\t]{0,8}[=:][ \\t]{0,8})"(?:[^"\\\\\\r\\n]|\\\\.){0,2048}(?:"|(?=[\\r\\n])|$)`,
      'gi',
    ),
    `$1$2"${MASK}"`,
  ],
  // password=…, DB_PASSWORD=…, aws_secret_access_key = …, \"token\":\"…\" (JSON in JSON), 'single quoted'
  [
    new RegExp(
      `(${SENSITIVE_WORD})([\\w.-]{0,40}?(?:\\\\{0,32}["'])?[ \\t]{0,8}[=:][ \\t]{0,8})(${VALUE})`,
      'gi',
    ),
    (match, word, separator, value = '') => {
      if (value.length <= 10 && NOT_SECRET.has(value.toLowerCase())) return match
      let open = 0
      while (value.charCodeAt(open) === BACKSLASH) open++
      const quote = value.charCodeAt(open)
      if (quote !== DOUBLE_QUOTE && quote !== SINGLE_QUOTE) return `${word}${separator}${MASK}`
      const quotes = value.slice(0, open + 1)
      return `${word}${separator}${quotes}${MASK}${quotes}`
    },
  ],
  // Vendor keys with a recognisable prefix: Stripe, Stripe webhooks, GitHub, Slack, Google.
  [/\b(sk|rk|pk)_(live|test)_[A-Za-z0-9]+/g, (_, kind, mode) => `${kind}_${mode}_${MASK}`],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, () => `whsec_${MASK}`],
  [/\b(gh[pousr]_|github_pat_)[A-Za-z0-9_]{16,}/g, (_, prefix) => `${prefix}${MASK}`],
  [/\b(xox[abposr]-)[A-Za-z0-9-]{8,}/g, (_, prefix) => `${prefix}${MASK}`],
  [/\bAIza[0-9A-Za-z_-]{35}/g, () => `AIza${MASK}`],
  // JSON Web Tokens (header.payload.signature), starting only where a token run starts.
  [/(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, () => `eyJ${MASK}`],
  // AWS access key ids
  [
    /(?<![A-Z0-9])(AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/g,
    (_, p) => `${p}${MASK}`,
  ],
  // AWS secret access keys: exactly 40 base64 characters with upper and lower case and a digit (a git SHA has no
  // capitals).
  [
    /(?<![A-Za-z0-9+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    (match) => (/[A-Z]/.test(match) && /[a-z]/.test(match) && /\d/.test(match) ? MASK : match),
  ],
]

const URL_SCHEME = /(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,30}:\/\//gi
const USERINFO_REACH = 512
const PORT = /^\d{1,5}(?:[/?#\s]|$)/
const NOT_IN_USER = /[\s/?#]/

/**
 * scheme://user:password@host → scheme://***@host, where the password may hold `#`, `/`, `?`, `@` or even
 * spaces: the userinfo ends at the last `@` before the next white space (or, for a password with spaces, the
 * last `@` on the line within reach). `host:8080/` is a port, not a password. Written as a scan rather than a
 * regular expression so that the next `@` and line end are found once for the whole text, not once per URL.
 */
function maskUrlCredentials(text: string): string {
  URL_SCHEME.lastIndex = 0
  let out = ''
  let copied = 0
  let nextAt = -2
  for (let match = URL_SCHEME.exec(text); match !== null; match = URL_SCHEME.exec(text)) {
    const start = match.index + match[0].length
    if (nextAt !== -1 && nextAt < start) nextAt = text.indexOf('@', start)
    if (nextAt === -1) break
    if (nextAt - start > USERINFO_REACH) continue
    const end = userinfoEnd(text, start, nextAt)
    if (end < 0) continue
    out += `${text.slice(copied, start)}${MASK}`
    copied = end
    URL_SCHEME.lastIndex = end
  }
  return copied === 0 ? text : out + text.slice(copied)
}

/** Where the userinfo that starts at `start` ends (its `@`), or -1 when the first `@` is not in a userinfo. */
function userinfoEnd(text: string, start: number, firstAt: number): number {
  const candidate = text.slice(start, firstAt)
  const colon = candidate.indexOf(':')
  const user = colon < 0 ? candidate : candidate.slice(0, colon)
  if (NOT_IN_USER.test(user)) return -1
  if (colon < 0) return firstAt
  // `http://localhost:3000/x failed for bob@example.com`: a port, then prose. Without white space before the `@`,
  // digits and a slash may just as well start a password, so it is masked.
  const spaced = /\s/.test(candidate)
  if (spaced && PORT.test(candidate.slice(colon + 1, colon + 7))) return -1
  const reach = text.slice(firstAt, start + USERINFO_REACH)
  const space = reach.search(/\s/)
  const word = space < 0 ? reach : reach.slice(0, space)
  const lastInWord = word.lastIndexOf('@')
  if (lastInWord > 0 || !spaced) return firstAt + lastInWord
  const newline = reach.search(/[\r\n]/)
  return firstAt + (newline < 0 ? reach : reach.slice(0, newline)).lastIndexOf('@')
}

// Card numbers start with 2–6 (Mastercard, Amex, Visa, Discover...); epoch milliseconds start with 1. A run glued
// to a letter, an underscore or a dash on either side is part of an identifier (a UUID such as
// `d7d12345-6789-4645-b445-…` holds 13 digits with dashes, Luhn-valid one time in ten), not a card.
const CARD_CANDIDATE = /(?<![\w-])[2-6](?:[ -]?\d){12,18}(?![\w]|-\w)/g

/*
 * A cheap first test, run on every string value of every log line, so it must cost a few nanoseconds a character:
 * a regular expression with this many alternatives costs ~40 ns a position, a hand-written scan ~3. Every rule
 * needs one of these literals somewhere in its match (compared case-insensitively), or a long run of digits
 * (card numbers) or of base64 characters (AWS secret keys); a property test keeps the two lists in step.
 */
const STEMS = [
  '://',
  'pass',
  'pwd',
  'secr',
  'toke',
  'apik',
  'api_',
  'api-',
  'priv',
  'acce',
  'auth',
  'cook',
  'cred',
  'dsn',
  'conn',
  'jwt',
  'cvv',
  'cvc',
  'card',
  'sign',
  'bear',
  'basi',
  'dige',
  'nego',
  'ntlm',
  'whse',
  'ghp_',
  'gho_',
  'ghu_',
  'ghs_',
  'ghr_',
  'gith',
  'xox',
  'aiza',
  'eyj',
  'sk_l',
  'sk_t',
  'rk_l',
  'rk_t',
  'pk_l',
  'pk_t',
  ...['akia', 'asia', 'aida', 'aroa', 'agpa', 'anpa', 'anva', 'aipa', 'abia', 'acca'],
]
/** Three folded character codes as a 16-bit hash: every stem's first three characters mark one slot. */
function trigram(a: number, b: number, c: number): number {
  return (a * 961 + b * 31 + c) & 0xffff
}
/** Stems by the hash of their first three characters (a slot may hold stems of several trigrams). */
const STEMS_BY_TRIGRAM: ReadonlyArray<readonly number[][] | undefined> = (() => {
  // A dense array (a sparse one falls back to dictionary lookups).
  const table: Array<number[][] | undefined> = Array.from({ length: 0x10000 }, () => undefined)
  for (const stem of STEMS) {
    const codes = Array.from(stem, (c) => c.charCodeAt(0))
    const slot = trigram(codes[0]!, codes[1]!, codes[2]!)
    table[slot] = [...(table[slot] ?? []), codes]
  }
  return table
})()
const AWS_SECRET_LENGTH = 40
const CARD_MIN_DIGITS = 13

/** ASCII letters folded to lower case, as a case-insensitive regular expression compares them. */
function fold(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code
}

/** Whether one of `stems` stands at `at`. */
function stemAt(text: string, at: number, stems: readonly number[][]): boolean {
  for (const stem of stems) {
    let k = 0
    while (k < stem.length && fold(text.charCodeAt(at + k)) === stem[k]) k++
    if (k === stem.length) return true
  }
  return false
}

function isBase64(code: number): boolean {
  return (
    (code >= 48 && code <= 57) ||
    (code >= 65 && code <= 90) ||
    (code >= 97 && code <= 122) ||
    code === 43 ||
    code === 47
  )
}

/** Whether `text` may hold a secret that {@link scrubSecrets} would mask (no false negatives). */
export function mayHoldSecret(text: string): boolean {
  const length = text.length
  if (length < 3) return false
  if (length >= CARD_MIN_DIGITS && hasLongRun(text)) return true
  let a = fold(text.charCodeAt(0))
  let b = fold(text.charCodeAt(1))
  for (let i = 2; i < length; i++) {
    const c = fold(text.charCodeAt(i))
    const stems = STEMS_BY_TRIGRAM[trigram(a, b, c)]
    if (stems !== undefined && stemAt(text, i - 2, stems)) return true
    a = b
    b = c
  }
  return false
}

/** A run of 40 base64 characters (an AWS secret key) or of 13 digits with single spaces or dashes (a card). */
function hasLongRun(text: string): boolean {
  let base64Run = 0
  let digits = 0
  let separated = false
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    base64Run = isBase64(code) ? base64Run + 1 : 0
    if (base64Run >= AWS_SECRET_LENGTH) return true
    if (code >= 48 && code <= 57) {
      separated = false
      if (++digits >= CARD_MIN_DIGITS) return true
    } else if ((code === 32 || code === 45) && digits > 0 && !separated) {
      separated = true
    } else {
      digits = 0
      separated = false
    }
  }
  return false
}

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

function cut(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text
  // Joined, not concatenated: a slice is a view of the whole input, and `${slice}…` keeps that view, so a 512-
  // character message cut from 10 MB would hold the 10 MB for as long as it is kept (a cached check result). A
  // join builds a string of its own.
  return [text.slice(0, Math.max(0, maxLength - 1)), '…'].join('')
}

/**
 * Removes credentials from free text, then cuts it to `maxLength` characters. Masked: URL userinfo (passwords
 * with any character), `Authorization` / `Cookie` / `Set-Cookie` header values, authorization schemes in any case
 * (Bearer, Basic, Token…), values of keys that name a secret wherever they stand (`password=`, `DB_PASSWORD=`,
 * `"newPassword":`, `github_token:`, JSON inside JSON), PEM private keys, JWTs, Stripe / GitHub / Slack / Google
 * keys, AWS access key ids and secret keys, and Luhn-valid card numbers (with spaces or dashes; the last four
 * digits stay). Linear in the input: text beyond `maxLength` (plus a small margin) is dropped before any rule runs.
 */
export function scrubSecrets(text: string, maxLength = DEFAULT_MAX_MESSAGE_LENGTH): string {
  let out = text.length > maxLength + LOOKAHEAD_CHARS ? text.slice(0, maxLength + LOOKAHEAD_CHARS) : text
  if (!mayHoldSecret(out)) return cut(out, maxLength)
  out = maskUrlCredentials(out)
  for (const [pattern, replacement] of REPLACEMENTS) {
    out =
      typeof replacement === 'string' ? out.replace(pattern, replacement) : out.replace(pattern, replacement)
  }
  return cut(maskCardNumbers(out), maxLength)
}
