import fc from 'fast-check'
import { throwingProxy, unreadableThrows } from './unreadable.js'

/**
 * Hostile inputs for property-based tests (fast-check): secrets of every kind the kit promises to scrub, planted
 * at random depth and position in random containers, and the worst values a caller can pass (deep, circular,
 * Proxies, throwing getters, BigInt…). The kit's own adversarial suites use them; so can an app testing that its
 * own logs and error bodies never leak.
 */

export type SecretKind =
  | 'bearer'
  | 'basic'
  | 'authorization-line'
  | 'cookie-line'
  | 'key-value'
  | 'url-password'
  | 'stripe-key'
  | 'stripe-webhook-secret'
  | 'github-token'
  | 'jwt'
  | 'aws-access-key-id'
  | 'aws-secret-key'
  | 'card-number'
  | 'private-key'

export interface PlantedSecret {
  kind: SecretKind
  /** The text that carries the secret, as it would stand in a message, a header dump, a URL or JSON. */
  text: string
  /** What must never appear in any output (the secret; for card numbers, all but the last four digits). */
  secret: string
}

const ALNUM = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const B64URL = `${ALNUM}-_`

function chars(alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> {
  return fc
    .array(fc.constantFrom(...alphabet.split('')), { minLength, maxLength })
    .map((list) => list.join(''))
}

/** A random credential: long, mixed letters and digits, so finding it in output is never a coincidence. */
export function token(minLength = 16, maxLength = 32): fc.Arbitrary<string> {
  return fc
    .tuple(
      chars(ALNUM, minLength - 2, maxLength - 2),
      fc.constantFrom(...'23456789'),
      fc.constantFrom(...'QWXZ'),
    )
    .map(([body, digit, capital]) => `${digit}${body}${capital}`)
}

const SECRET_KEY_WORDS = [
  'password',
  'passwd',
  'pwd',
  'secret',
  'token',
  'api_key',
  'apiKey',
  'api-key',
  'private_key',
  'access_key',
  'client_secret',
  'secret_access_key',
  'credentials',
  'auth',
  'authorization',
  'dsn',
  'connectionString',
  'jwt',
  'cookie',
]

/** A field name that names a secret: random casing, with or without a prefix (`DB_`, `new`, `aws_`, `github_`…). */
export function secretKeyName(): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.constantFrom('', 'DB_', 'new', 'aws_', 'github_', 'session_', 'x-', 'stripe.', 'old_'),
      fc.mixedCase(fc.constantFrom(...SECRET_KEY_WORDS)),
    )
    .map(([prefix, word]) => `${prefix}${word}`)
}

function luhnComplete(digits: string): string {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 0) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return `${digits}${(10 - (sum % 10)) % 10}`
}

const bearer = fc
  .tuple(fc.mixedCase(fc.constantFrom('bearer', 'token')), token())
  .map(([scheme, secret]) => ({ kind: 'bearer' as const, text: `${scheme} ${secret}`, secret }))

const basic = fc.tuple(fc.mixedCase(fc.constant('basic')), token(16, 40)).map(([scheme, secret]) => ({
  kind: 'basic' as const,
  text: `${scheme} ${secret}=`,
  secret,
}))

const authorizationLine = fc
  .tuple(fc.mixedCase(fc.constantFrom('authorization', 'proxy-authorization', 'x-api-key')), token())
  .map(([name, secret]) => ({ kind: 'authorization-line' as const, text: `${name}: ${secret}`, secret }))

const cookieLine = fc
  .tuple(
    fc.mixedCase(fc.constantFrom('cookie', 'set-cookie')),
    fc.constantFrom('sid', 'session', '__Host-id'),
    token(),
  )
  .map(([name, cookie, secret]) => ({
    kind: 'cookie-line' as const,
    text: `${name}: ${cookie}=${secret}; Path=/; HttpOnly`,
    secret,
  }))

/** `KEY=VALUE` in the shapes it takes in text: env line, query string, logfmt, YAML, JSON, JSON inside JSON. */
const keyValue = fc
  .tuple(secretKeyName(), token(), fc.integer({ min: 0, max: 5 }))
  .map(([key, secret, shape]) => {
    const texts = [
      `${key}=${secret}`,
      `?user=a&${key}=${secret}&x=1`,
      `${key}: ${secret}`,
      JSON.stringify({ user: 'a', [key]: secret }),
      JSON.stringify(JSON.stringify({ [key]: secret })),
      JSON.stringify({ [key]: `${secret} with spaces` }),
    ]
    return { kind: 'key-value' as const, text: texts[shape]!, secret }
  })

/** scheme://user:password@host, the password holding one of `#`, `/`, `?`, `@` or a space. */
const urlPassword = fc
  .tuple(
    fc.constantFrom('postgres', 'redis', 'mysql', 'amqp', 'https', 'mongodb+srv'),
    fc.constantFrom('app', 'root', ''),
    token(8, 16),
    fc.constantFrom('', '#', '/', '?', '@', ' '),
    token(8, 16),
  )
  .map(([scheme, user, a, special, b]) => {
    const secret = `${a}${special}${b}`
    return {
      kind: 'url-password' as const,
      text: `${scheme}://${user}:${secret}@db.internal:5432/app`,
      secret,
    }
  })

const stripeKey = fc
  .tuple(fc.constantFrom('sk', 'rk'), fc.constantFrom('live', 'test'), token(24, 40))
  .map(([kind, mode, body]) => ({
    kind: 'stripe-key' as const,
    text: `${kind}_${mode}_${body}`,
    secret: body,
  }))

const stripeWebhook = token(24, 32).map((body) => ({
  kind: 'stripe-webhook-secret' as const,
  text: `whsec_${body}`,
  secret: body,
}))

const githubToken = fc
  .tuple(fc.constantFrom('ghp_', 'gho_', 'ghs_', 'github_pat_'), token(30, 40))
  .map(([prefix, body]) => ({ kind: 'github-token' as const, text: `${prefix}${body}`, secret: body }))

const jwt = fc.tuple(chars(B64URL, 10, 30), chars(B64URL, 20, 60), token(20, 43)).map(([h, p, signature]) => {
  const text = `eyJ${h}.eyJ${p}.${signature}`
  return { kind: 'jwt' as const, text, secret: signature }
})

const awsAccessKeyId = fc
  .tuple(fc.constantFrom('AKIA', 'ASIA'), chars(UPPER_DIGITS, 16, 16))
  .map(([prefix, body]) => ({ kind: 'aws-access-key-id' as const, text: `${prefix}${body}`, secret: body }))

const awsSecretKey = fc
  .tuple(chars(`${ALNUM}/+`, 37, 37), fc.constantFrom(...'ABCDEFGH'), fc.constantFrom(...'abcdefgh'))
  .map(([body, upper, lower]) => {
    const secret = `${upper}${body}${lower}9`.slice(0, 40)
    return { kind: 'aws-secret-key' as const, text: secret, secret }
  })

const cardNumber = fc
  .tuple(
    fc.constantFrom('4', '51', '52', '37', '6011'),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 15 }),
    fc.constantFrom('', ' ', '-'),
  )
  .map(([prefix, rest, separator]) => {
    const digits = luhnComplete(`${prefix}${rest.join('')}`.slice(0, 15))
    const text = separator === '' ? digits : (digits.match(/.{1,4}/g) ?? []).join(separator)
    return { kind: 'card-number' as const, text, secret: digits.slice(0, 12) }
  })

const privateKey = chars(`${ALNUM}+/`, 64, 64).map((body) => ({
  kind: 'private-key' as const,
  text: `-----BEGIN RSA PRIVATE KEY-----\n${body}\n${body.split('').reverse().join('')}\n-----END RSA PRIVATE KEY-----`,
  secret: body,
}))

/** A secret of any kind the kit scrubs from free text, in the text that carries it. */
export function secretInText(): fc.Arbitrary<PlantedSecret> {
  return fc.oneof(
    bearer,
    basic,
    authorizationLine,
    cookieLine,
    keyValue,
    urlPassword,
    stripeKey,
    stripeWebhook,
    githubToken,
    jwt,
    awsAccessKeyId,
    awsSecretKey,
    cardNumber,
    privateKey,
  )
}

/** Prose around a secret: it may stand at the start, the end or the middle of a message or a line. */
export function textAround(planted: fc.Arbitrary<PlantedSecret>): fc.Arbitrary<PlantedSecret> {
  return fc
    .tuple(
      planted,
      fc.constantFrom('', 'request failed: ', 'GET /api/x ', 'line 1\n'),
      fc.constantFrom('', ' (retrying)', '\nnext line', ', '),
    )
    .map(([p, before, after]) => ({ ...p, text: `${before}${p.text}${after}` }))
}

type Container = (inner: unknown) => unknown

function containers(key: string): fc.Arbitrary<Container> {
  return fc.constantFrom<Container>(
    (inner) => ({ [key]: inner }),
    (inner) => ({ list: [1, inner, 'x'] }),
    (inner) => [inner],
    (inner) => Object.assign(Object.create(null), { [key]: inner }),
    (inner) => ({ nested: { deeper: inner } }),
    (inner) => (typeof inner === 'string' ? new Error(inner) : { [key]: inner }),
    (inner) => ({ toJSON: () => ({ [key]: inner }) }),
    (inner) => Object.assign(new Error('wrapped'), { details: inner }),
    (inner) => new Error('caused', { cause: inner }),
    (inner) =>
      new (class Payload {
        data = inner
      })(),
  )
}

/** Where a secret may sit in a structured value: under a secret-named key, or as free text under any key. */
export interface PlantedValue {
  value: unknown
  secret: string
  kind: SecretKind | 'secret-field'
}

/**
 * A value with a secret planted at a random depth (1–40 levels: deeper than any kit limit) inside random
 * containers — plain and null-prototype objects, arrays, Errors (fields and causes), `toJSON`, class instances,
 * header pairs and Node's flat `rawHeaders` — either as free text or as the value of a secret-named field.
 */
export function plantedValue(options: { maxDepth?: number } = {}): fc.Arbitrary<PlantedValue> {
  const maxDepth = options.maxDepth ?? 40
  const leaf = fc.oneof(
    textAround(secretInText()).map((p) => ({ value: p.text as unknown, secret: p.secret, kind: p.kind })),
    fc.tuple(secretKeyName(), token()).map(([key, secret]) => ({
      value: { [key]: secret } as unknown,
      secret,
      kind: 'secret-field' as const,
    })),
    fc
      .tuple(fc.mixedCase(fc.constantFrom('authorization', 'cookie', 'x-api-key')), token())
      .map(([name, secret]) => ({
        value: [[name, secret]] as unknown,
        secret,
        kind: 'secret-field' as const,
      })),
    fc.tuple(fc.mixedCase(fc.constantFrom('Authorization', 'Cookie')), token()).map(([name, secret]) => ({
      value: ['Host', 'example.com', name, secret, 'Accept', '*/*'] as unknown,
      secret,
      kind: 'secret-field' as const,
    })),
  )
  return fc
    .tuple(leaf, fc.array(containers('payload'), { minLength: 0, maxLength: maxDepth }))
    .map(([planted, wrappers]) => ({
      ...planted,
      value: wrappers.reduce<unknown>((inner, wrap) => wrap(inner), planted.value),
    }))
}

export { leaks } from './leaks.js'

export { throwingProxy, unreadableThrows }

/** An object nested `depth` levels deep, built without recursion. */
export function deepObject(depth: number, leafValue: unknown = 'bottom'): unknown {
  let value: unknown = leafValue
  for (let i = 0; i < depth; i++) value = { child: value }
  return value
}

/** A hostile value, made on demand: a Proxy that throws on every trap cannot even be handed to fast-check. */
export interface HostileCase {
  name: string
  make(): unknown
}

const HOSTILE_CASES: readonly HostileCase[] = [
  { name: 'BigInt', make: () => 10n ** 30n },
  { name: 'Symbol', make: () => Symbol('hostile') },
  { name: 'Proxy whose every trap throws', make: () => throwingProxy() },
  {
    name: 'circular',
    make: () => {
      const circular: Record<string, unknown> = { name: 'loop' }
      circular.self = circular
      circular.list = [circular, { back: circular }]
      return circular
    },
  },
  {
    name: 'throwing getter',
    make: () =>
      Object.defineProperty({}, 'boom', {
        enumerable: true,
        get() {
          throw new Error('getter')
        },
      }),
  },
  {
    name: 'throwing toJSON',
    make: () => ({
      toJSON() {
        throw new Error('toJSON')
      },
    }),
  },
  {
    name: 'null prototype with __proto__ and constructor keys',
    make: () =>
      Object.assign(
        Object.create(null),
        JSON.parse('{"__proto__":{"polluted":true},"constructor":"x","hasOwnProperty":1}'),
      ),
  },
  { name: 'depth 100,000', make: () => deepObject(100_000) },
  { name: '10 MB string', make: () => 'x'.repeat(10 * 1024 * 1024) },
  { name: '1 MB of word boundaries', make: () => 'a-'.repeat(512 * 1024) },
  { name: '200,000-item array', make: () => Array.from({ length: 200_000 }, (_, i) => i) },
  { name: '5 MB Buffer', make: () => Buffer.alloc(5 * 1024 * 1024) },
  {
    name: 'Error whose message getter throws',
    make: () => {
      const error = new Error('odd')
      Object.defineProperty(error, 'message', {
        get() {
          throw new Error('message getter')
        },
      })
      return error
    },
  },
  {
    name: 'Error with an object message',
    make: () => Object.assign(new Error(), { message: { nested: 42 } }),
  },
  { name: 'Error with a numeric stack', make: () => Object.assign(new Error('x'), { stack: 42 }) },
  { name: 'invalid Date', make: () => new Date(Number.NaN) },
  { name: 'function', make: () => () => 'a function' },
  { name: 'odd numbers', make: () => [undefined, null, Number.NaN, Number.POSITIVE_INFINITY, -0] },
]

/**
 * The worst values a caller can hand the kit — each must be logged, reported or rendered without a throw or a
 * stall — plus anything fast-check can build (null prototypes, Maps, Sets, typed and sparse arrays, BigInts).
 */
export function hostileValue(): fc.Arbitrary<HostileCase> {
  return fc.oneof(
    fc.constantFrom(...HOSTILE_CASES),
    fc
      .anything({
        withBigInt: true,
        withNullPrototype: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withSparseArray: true,
      })
      .map((value) => ({ name: 'anything', make: () => value })),
  )
}

/** Something a client call may throw or reject with, made on demand, and the secret it carries (if any). */
export interface ThrownCase extends HostileCase {
  /** What must never appear in a message derived from it; `''` when it carries none. */
  secret: string
  kind: SecretKind | 'hostile'
}

/**
 * What a client (a database driver, an SDK) may throw: an Error, a string or an error-like object whose message
 * carries a planted secret (a connection URL with its password, an API key…), a driver's multi-line wrapper
 * around such a message, or a hostile value (a Proxy whose every trap throws, an Error whose message getter
 * throws, BigInt, Symbol, a 10 MB string…).
 */
export function thrownValue(): fc.Arbitrary<ThrownCase> {
  const carrying = fc
    .tuple(
      textAround(secretInText()),
      fc.constantFrom<[string, (text: string) => unknown]>(
        ['Error', (text) => new Error(text)],
        ['TypeError', (text) => new TypeError(text)],
        ['string', (text) => text],
        ['error-like object', (text) => ({ message: text, code: 'E_HOSTILE' })],
        ['object message', (text) => Object.assign(new Error(), { message: { detail: text } })],
        ['Error with the secret in its code', (text) => Object.assign(new Error('failed'), { code: text })],
        [
          'multi-line driver error',
          (text) =>
            new Error(
              `\nInvalid \`prisma.$queryRaw()\` invocation:\n\n\nRaw query failed. Code: \`28P01\`. Message: \`${text}\``,
            ),
        ],
        ['Error with 10,000 lines around it', (text) => new Error(`${'\n \t'.repeat(10_000)}${text}`)],
      ),
    )
    .map(([planted, [shape, make]]) => ({
      name: `${shape} carrying ${planted.kind}`,
      kind: planted.kind,
      secret: planted.secret,
      make: () => make(planted.text),
    }))
  const hostile = hostileValue().map((h) => ({ ...h, kind: 'hostile' as const, secret: '' }))
  return fc.oneof(carrying, hostile)
}

const bigString = () => 'x'.repeat(10 * 1024 * 1024)

/** Metric names a sink must survive: forged protocol lines (DogStatsD and Prometheus), 10 MB, lone surrogates. */
export const HOSTILE_METRIC_NAMES: readonly HostileCase[] = [
  { name: 'empty', make: () => '' },
  { name: 'only symbols', make: () => '...|||' },
  { name: 'forged DogStatsD line', make: () => 'a:1|c\nforged.metric:666|c|#env:prod' },
  { name: 'forged exposition line', make: () => 'a 1\nforged_metric{x="1"} 666\n# TYPE' },
  { name: 'pipes, colons, CR', make: () => 'a|b:c\r#d@e,f' },
  { name: 'HELP breaker', make: () => 'help\\n\\"\r' },
  { name: '10 MB', make: bigString },
  { name: '1,500 characters', make: () => 'n'.repeat(1500) },
  { name: 'starts with a digit', make: () => '9lives' },
  { name: 'reserved', make: () => '__name__' },
  { name: 'prototype names', make: () => '__proto__' },
  { name: 'constructor', make: () => 'constructor' },
  { name: 'lone surrogate', make: () => 'half\ud800' },
  { name: 'multi-byte', make: () => '✓'.repeat(600) },
]

/** Metric values a sink must survive (the types say number; JavaScript callers pass anything). */
export const HOSTILE_METRIC_VALUES: readonly unknown[] = [
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  10n,
  '5',
  '',
  undefined,
  null,
  -1,
  -0,
  Number.MAX_VALUE,
  -Number.MIN_VALUE,
  { valueOf: () => 3 },
]

/** Tag sets a sink must survive: unreadable, not a tag set at all, huge, or full of protocol characters. */
export const HOSTILE_TAG_SETS: readonly HostileCase[] = [
  { name: 'Proxy whose every trap throws', make: throwingProxy },
  {
    name: 'throwing getter',
    make: () =>
      Object.defineProperty({ ok: 'a' }, 'boom', {
        enumerable: true,
        get() {
          throw new Error('getter')
        },
      }),
  },
  { name: 'array', make: () => ['a:b', 'c'] },
  { name: '5 MB Buffer', make: () => Buffer.alloc(5 * 1024 * 1024) },
  {
    name: '1,000 keys',
    make: () => Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`key${i}`, `value${i}`])),
  },
  { name: '10 MB value', make: () => ({ route: bigString() }) },
  { name: '10 MB key', make: () => ({ [bigString()]: 'v' }) },
  { name: 'protocol characters', make: () => ({ 'k|#,\n': 'v|\r\n,#@:x', route: 'a\nforged:1|c' }) },
  {
    name: 'newlines, quotes, backslashes',
    make: () => ({ text: 'a "quoted" back\\slash\nnew line\r\t}', 'k"\n}': 'v', q: '"\'\\' }),
  },
  { name: 'reserved label names', make: () => ({ __name__: 'x', le: '1', quantile: '0.5', '': 'e' }) },
  { name: 'Symbol value', make: () => ({ s: Symbol('x') }) },
  { name: 'BigInt value', make: () => ({ n: 10n ** 30n }) },
  { name: 'object value', make: () => ({ o: { toString: bigString } }) },
  { name: 'value with a throwing toString', make: () => ({ o: { toString: throwingProxy } }) },
  { name: 'null prototype', make: () => Object.assign(Object.create(null), { route: '/a' }) },
  { name: 'string', make: () => 'route:/a' },
  { name: 'number', make: () => 42 },
]

export type MetricCallKind = 'increment' | 'gauge' | 'timing' | 'histogram'

/** One metric call with one hostile part: what the contract and the sinks' DoS suites throw at a sink. */
export interface HostileMetricCall {
  label: string
  kind: MetricCallKind
  /** Makes the call's arguments (fresh each time: some are 10 MB). */
  args(): [name: unknown, value: unknown, tags: unknown]
}

/** A metric call whose name, value, tag set or one tag value is hostile. */
export function hostileMetricCall(): fc.Arbitrary<HostileMetricCall> {
  return fc
    .tuple(
      fc.constantFrom<MetricCallKind>('increment', 'gauge', 'timing', 'histogram'),
      fc.constantFrom(...HOSTILE_METRIC_NAMES),
      fc.constantFrom(...HOSTILE_METRIC_VALUES),
      fc.oneof(fc.constantFrom(...HOSTILE_TAG_SETS), hostileValue()),
      fc.constantFrom('name', 'value', 'tags', 'tag value'),
    )
    .map(([kind, name, value, tags, where]) => ({
      kind,
      label: `${kind}(${where}: ${where === 'name' ? name.name : where === 'value' ? String(value) : tags.name})`,
      args: (): [unknown, unknown, unknown] => {
        if (where === 'name') return [name.make(), 1, { route: '/a' }]
        if (where === 'value') return ['hostile.value', value, { route: '/a' }]
        if (where === 'tags') return [`hostile.tags.${kind}`, 1, tags.make()]
        return [`hostile.tag_value.${kind}`, 1, { route: tags.make() }]
      },
    }))
}

/**
 * Units that, repeated to 64 KiB or more, make a careless regular expression quadratic: word boundaries, runs
 * inside runs, rule prefixes that start a match and then fail. Scrubbing any of them must stay linear.
 */
export const QUADRATIC_TEXT_UNITS: readonly string[] = [
  'a-',
  'a.',
  'aB3+',
  'eyJ-',
  'x://',
  'x://a:',
  'password:"',
  'password:\\"',
  'Bearer ',
  '4242 ',
  'a@',
]
