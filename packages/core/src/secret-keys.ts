// Which field names hold secrets: the one list every channel redacts by.

const MAX_KEY_CACHE = 4096

/** Field names redacted by default, matched case-insensitively, ignoring `-`, `_` and spaces, as substrings. */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'cookie',
  'password',
  'passwd',
  'pwd',
  'secret',
  'token',
  'apikey',
  'privatekey',
  'accesskey',
  'auth',
  'credential',
  'dsn',
  'connectionstring',
  'jwt',
  'cardnumber',
  'cvc',
  'cvv',
]

/**
 * Whether a field name holds a secret: it contains one of `keys`, compared case-insensitively and ignoring
 * `-`, `_` and spaces (`DB_PASSWORD`, `newPassword`, `x-api-key`). `auth` matches `auth`, `authToken`,
 * `basic_auth` but not `author`. Verdicts are cached per name, since the same names recur on every line.
 */
export function sensitiveKeyMatcher(keys: readonly string[] = DEFAULT_REDACT_KEYS): (key: string) => boolean {
  const needles = keys.map(normalize).filter((needle) => needle !== '')
  // A null-prototype object, not a Map: property lookup by a recurring key string is the fastest cache V8 has.
  const verdicts: Record<string, boolean | undefined> = Object.create(null)
  let cached = 0
  return (key) => {
    let verdict = verdicts[key]
    if (verdict === undefined) {
      const normalized = normalize(key)
      verdict = needles.some((needle) => containsWord(normalized, needle))
      if (cached++ < MAX_KEY_CACHE) verdicts[key] = verdict
    }
    return verdict
  }
}

function normalize(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, '')
}

/** `auth` inside `author` or `authority` is not a secret; `auth`, `authToken`, `oauth`, `basicauth` are. */
function containsWord(haystack: string, needle: string): boolean {
  if (needle !== 'auth') return haystack.includes(needle)
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) {
    if (!haystack.startsWith('or', at + needle.length)) return true
  }
  return false
}
