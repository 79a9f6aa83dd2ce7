// Values nothing can read without a throw, for the suites that must survive them. Kept apart from hostile.ts,
// which loads fast-check, so the contract suites can use them too.

/** A Proxy whose every trap throws. */
export function throwingProxy(): object {
  const trap = () => {
    throw new Error('hostile trap')
  }
  return new Proxy(
    {},
    {
      get: trap,
      has: trap,
      ownKeys: trap,
      getOwnPropertyDescriptor: trap,
      getPrototypeOf: trap,
      set: trap,
      defineProperty: trap,
      deleteProperty: trap,
      apply: trap,
      construct: trap,
    },
  )
}

/**
 * Thrown values an error SDK cannot read as an Error, by what is wrong with them: a numeric `stack`, a throwing
 * `message` getter, a Symbol, a Proxy whose every trap throws, a throwing getter, a Proxy as `cause`.
 */
export function unreadableThrows(): Record<string, unknown> {
  const messageGetterThrows = new Error('odd')
  Object.defineProperty(messageGetterThrows, 'message', {
    get() {
      throw new Error('message getter')
    },
  })
  return {
    'an Error whose stack is a number': Object.assign(new Error('numeric stack'), { stack: 42 }),
    'an Error whose message getter throws': messageGetterThrows,
    'a Symbol': Symbol('thrown'),
    'a Proxy whose every trap throws': throwingProxy(),
    'an object with a throwing getter': Object.defineProperty({ id: 1 }, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter')
      },
    }),
    'an Error whose cause is a Proxy': new Error('with a hostile cause', { cause: throwingProxy() }),
  }
}
