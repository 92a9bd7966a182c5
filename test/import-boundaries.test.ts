/**
 * The layering of the source tree, checked on every import (scripts/import-boundaries.ts, TypeScript's
 * own parser): core names plugins only in its registries, plugins reach core through `llem/plugin`
 * (core/plugin.ts) except the listed deep imports, which may only shrink, and core's runtime imports
 * have no cycle. First the checker on a planted tree, then the repository itself.
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkBoundaries, describeViolations, loadExceptions } from '../scripts/import-boundaries.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PLANTED = path.join(REPO, 'test/fixtures/import-boundaries')

describe('import boundaries', () => {
  it('finds what was planted, at its file:line, and nothing else', () => {
    const lines = describeViolations(checkBoundaries(PLANTED, ['plugins/gone.ts -> core/a.ts']))
    expect(lines).toEqual([
      expect.stringMatching(/^core\/leak\.ts:2: core imports plugins\/good\.ts;/),
      expect.stringMatching(/^plugins\/deep\.ts:1: a plugin imports core\/a\.ts;/),
      expect.stringMatching(/"plugins\/gone\.ts -> core\/a\.ts" no longer occurs/),
      'import cycle in core: core/a.ts:1 -> core/b.ts, core/b.ts:2 -> core/a.ts',
    ])
    // a listed deep import is allowed; the registry's dynamic import, the plugin entry and the type-only back edge never count
    expect(describeViolations(checkBoundaries(PLANTED, ['plugins/deep.ts -> core/a.ts'])).filter((l) => l.includes('deep.ts'))).toEqual([])
  })

  it('the repository keeps its layering', () => {
    expect(describeViolations(checkBoundaries(REPO, loadExceptions(REPO)))).toEqual([])
  })
})
