import { describe, expect, it } from 'vitest'
import { createAggregator, createSampleWindow } from '../src/aggregator.js'

describe('client-side aggregation window', () => {
  it('sums counts and keeps the last gauge per name and tag set, whatever the tag order', () => {
    const window = createAggregator(10)
    window.record('c', 'http.requests', 1, { endpoint: '/a', method: 'GET' })
    window.record('c', 'http.requests', 2, { method: 'GET', endpoint: '/a' })
    window.record('c', 'http.requests', 1, { endpoint: '/b', method: 'GET' })
    window.record('g', 'queue.depth', 5, undefined)
    window.record('g', 'queue.depth', 3, {})
    window.record('c', 'queue.depth', 1, undefined)
    expect(window.drain()).toEqual([
      { type: 'c', name: 'http.requests', tags: { endpoint: '/a', method: 'GET' }, value: 3 },
      { type: 'c', name: 'http.requests', tags: { endpoint: '/b', method: 'GET' }, value: 1 },
      { type: 'g', name: 'queue.depth', tags: undefined, value: 3 },
      { type: 'c', name: 'queue.depth', tags: undefined, value: 1 },
    ])
    expect(window.drain()).toEqual([])
  })

  it('refuses new contexts past maxContexts (the caller sends those directly) but keeps counting known ones', () => {
    const window = createAggregator(2)
    expect(window.record('c', 'a', 1, undefined)).toBe(true)
    expect(window.record('c', 'b', 1, undefined)).toBe(true)
    expect(window.record('c', 'c', 1, undefined)).toBe(false)
    expect(window.record('c', 'a', 1, undefined)).toBe(true)
    expect(window.drain().map((c) => [c.name, c.value])).toEqual([
      ['a', 2],
      ['b', 1],
    ])
    expect(window.record('c', 'c', 1, undefined)).toBe(true)
  })

  it('refuses new contexts past maxChars of names and tags, whatever their count', () => {
    const window = createAggregator(1000, 3000)
    const long = 'x'.repeat(500)
    expect(window.record('c', 'a', 1, { route: long })).toBe(true)
    expect(window.record('c', 'b', 1, { route: long })).toBe(true)
    expect(window.record('c', 'c', 1, { route: long })).toBe(false)
    expect(window.record('c', 'a', 2, { route: long })).toBe(true)
    expect(window.size).toBe(2)
    window.drain()
    expect(window.record('c', 'c', 1, { route: long })).toBe(true)
  })

  it('keeps its own copy of the tags', () => {
    const window = createAggregator(10)
    const tags = { route: '/a' }
    window.record('c', 'x', 1, tags)
    tags.route = '/changed'
    expect(window.drain()[0]?.tags).toEqual({ route: '/a' })
  })
})

describe('sample window (timings and histograms held for packing)', () => {
  it('keeps every value per name, type and tag set, in order, whatever the tag order', () => {
    const window = createSampleWindow(10)
    window.record('ms', 'db.query', 5, { table: 'order', op: 'select' })
    window.record('ms', 'db.query', 7, { op: 'select', table: 'order' })
    window.record('h', 'db.query', 1, { table: 'order', op: 'select' })
    window.record('ms', 'db.query', 9, undefined)
    window.record('ms', 'db.query', 5, { table: 'order', op: 'select' })
    expect(window.values).toBe(5)
    expect(window.size).toBe(3)
    expect(window.drain()).toEqual([
      { type: 'ms', name: 'db.query', tags: { table: 'order', op: 'select' }, values: [5, 7, 5] },
      { type: 'h', name: 'db.query', tags: { table: 'order', op: 'select' }, values: [1] },
      { type: 'ms', name: 'db.query', tags: undefined, values: [9] },
    ])
    expect(window.values).toBe(0)
    expect(window.drain()).toEqual([])
  })

  it('refuses a new series past maxSeries or maxChars (the caller sends that value alone), never a known one', () => {
    const window = createSampleWindow(2, 2000)
    expect(window.record('ms', 'a', 1, undefined)).toBe(true)
    expect(window.record('ms', 'b', 1, undefined)).toBe(true)
    expect(window.record('ms', 'c', 1, undefined)).toBe(false)
    expect(window.record('ms', 'a', 2, undefined)).toBe(true)
    expect(window.values).toBe(3)
    window.drain()
    const long = 'x'.repeat(500)
    expect(window.record('h', 'a', 1, { route: long })).toBe(true)
    expect(window.record('h', 'b', 1, { route: long })).toBe(false)
  })

  it('keeps its own copy of the tags', () => {
    const window = createSampleWindow(10)
    const tags = { route: '/a' }
    window.record('h', 'x', 1, tags)
    tags.route = '/changed'
    expect(window.drain()[0]?.tags).toEqual({ route: '/a' })
  })
})
