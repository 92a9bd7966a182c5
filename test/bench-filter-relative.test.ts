/**
 * Positional bench filters, as Vitest applies them: a case-insensitive substring of the file's path
 * relative to the project root, written with or without a leading `./` (what shell tab completion gives).
 * The folder the project lives in is not part of what a filter matches.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { discoverBenchFiles } from '../core/collect/discover.js'

// the project sits in a folder called "newcomer", as a checkout under a user's folder of that name would
function project(): string {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'llem-filter-'))
  const root = path.join(parent, 'newcomer')
  for (const rel of ['benches/Alpha.bench.ts', 'benches/beta.bench.ts']) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true })
    writeFileSync(path.join(root, rel), '')
  }
  return root
}

const find = (rootDir: string, filters: string[]) =>
  discoverBenchFiles({ rootDir, include: ['**/*.bench.ts'], exclude: [], filters }).then((fs) => fs.map((f) => path.relative(rootDir, f).split(path.sep).join('/')))

describe('bench filters', () => {
  it('do not match the folder the project lives in', async () => {
    expect(await find(project(), ['newcomer'])).toEqual([])
  })

  it('accept a leading ./ as tab completion writes it', async () => {
    expect(await find(project(), ['./benches/beta.bench.ts'])).toEqual(['benches/beta.bench.ts'])
  })

  it('match case-insensitively', async () => {
    const root = project()
    expect(await find(root, ['alpha'])).toEqual(['benches/Alpha.bench.ts'])
    expect(await find(root, ['BETA'])).toEqual(['benches/beta.bench.ts'])
  })

  it('accept an absolute path inside the project', async () => {
    const root = project()
    expect(await find(root, [path.join(root, 'benches', 'beta.bench.ts')])).toEqual(['benches/beta.bench.ts'])
  })
})
