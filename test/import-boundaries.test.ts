/**
 * The layering of the source tree, checked on every import (scripts/import-boundaries.ts, TypeScript's
 * own parser): core names plugins only in its registries, plugins reach core only by the name
 * `llem/plugin` (core/plugin.ts), with no exceptions, and core's runtime imports have no cycle. First
 * the checker on a planted tree, then the repository itself. eslint.config.js holds the first two
 * rules as lint rules too (test/lint.test.ts).
 */
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { checkBoundaries, describeViolations } from '../scripts/import-boundaries.js'

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const PLANTED = path.join(REPO, 'test/fixtures/import-boundaries')

describe('import boundaries', () => {
  it('finds what was planted, at its file:line, and nothing else', () => {
    // the registry's dynamic import, `llem/plugin` by name and the type-only back edge never count
    expect(describeViolations(checkBoundaries(PLANTED))).toEqual([
      expect.stringMatching(/^core\/leak\.ts:2: core imports plugins\/good\.ts;/),
      expect.stringMatching(/^plugins\/deep\.ts:1: a plugin imports core\/a\.ts; import it from 'llem\/plugin'/),
      "plugins/relative-entry.ts:2: a plugin imports core/plugin.ts by a relative path; import 'llem/plugin'",
      expect.stringMatching(/^plugins\/root-api\.ts:2: a plugin imports core\/index\.ts;/),
      'import cycle in core: core/a.ts:1 -> core/b.ts, core/b.ts:2 -> core/a.ts',
    ])
  })

  it('the repository keeps its layering', () => {
    expect(describeViolations(checkBoundaries(REPO))).toEqual([])
  })
})
