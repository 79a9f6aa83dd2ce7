import { throwingProxy } from '@vivr/testkit/hostile'
import type { Request } from 'express'
import { describe, expect, it } from 'vitest'
import { routeOf, trackRoute } from '../src/route.js'

/** A request as Express builds one: own fields over app.request over the request prototype of its Express copy. */
function requestOver(shared: object, fields: Record<string, unknown>): Request {
  return Object.assign(Object.create(Object.create(shared)), fields) as Request
}

describe('trackRoute', () => {
  it('remembers the mount path a route matched under, after Express restored baseUrl', () => {
    const req = requestOver({}, { baseUrl: '/api', originalUrl: '/api/items/1' })
    trackRoute(req)
    ;(req as { route?: unknown }).route = { path: '/items/:id' }
    ;(req as { baseUrl?: string }).baseUrl = undefined as unknown as string
    expect(routeOf(req)).toBe('/api/items/:id')
  })

  it('never throws on a request it cannot track: frozen or sealed prototypes and requests, a Proxy', () => {
    const frozenShared = requestOver(Object.freeze({}), { baseUrl: '', originalUrl: '/a' })
    const sealedRequest = Object.preventExtensions(requestOver(Object.preventExtensions({}), { baseUrl: '' }))
    const ownFrozenRoute = Object.defineProperty(requestOver({}, { baseUrl: '' }), 'route', {
      value: { path: '/x' },
      configurable: false,
      enumerable: true,
    })
    for (const req of [frozenShared, sealedRequest, ownFrozenRoute, throwingProxy() as Request]) {
      expect(() => trackRoute(req)).not.toThrow()
    }
    // Untracked, the route still resolves (its mount path guessed from the raw path).
    expect(routeOf(ownFrozenRoute)).toBe('/x')
  })
})
