/**
 * prettyJsonPieces must give JSON.stringify(value, null, 2) + '\n' exactly, at any depth of opening:
 * keys JSON leaves out (undefined, functions, symbols), empty objects and arrays, values with toJSON,
 * line breaks and quotes inside strings and keys.
 */
import { describe, expect, it } from 'vitest'
import { prettyJsonPieces } from '../plugins/reporters/lib/json-pieces.js'

const cases: unknown[] = [
  {},
  [],
  null,
  1,
  'x',
  { a: undefined },
  { a: 1, b: undefined },
  { a: { b: { c: [1, { d: 'e\nf' }] } }, x: [], y: {} },
  { d: new Date(0), f: () => 1, s: Symbol('q'), n: NaN, i: Infinity, nested: { deep: { deeper: { x: 'a"b' } } }, arr: [undefined, () => 1] },
  { 'k\n"': { '': 1 }, tasks: { t1: { m: 1, e: [] }, t2: { m: 2, e: [{ z: null }] } }, last: undefined },
]

describe('prettyJsonPieces', () => {
  it.each(cases.map((c, i) => [i, c]))('case %i is JSON.stringify(v, null, 2) at every depth', (_i, value) => {
    for (const depth of [0, 1, 2, 3]) expect([...prettyJsonPieces(value, depth)].join('')).toBe(JSON.stringify(value, null, 2) + '\n')
  })
})
