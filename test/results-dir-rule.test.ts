// The one rule for the results directory (docs/configuration.md, resultsDir):
// --results-dir, else LLEM_RESULTS_DIR, else the config's resultsDir, else llem-results; a flag or the
// environment is relative to the working directory, the config's value to the config's directory.
import { describe, expect, it } from 'vitest'
import { resolveResultsDir, resultsDirFlag, resultsDirLookup } from '../core/results/results-dir.js'

const cwd = '/home/u/work'
const rootDir = '/home/u/project'

describe('resolveResultsDir', () => {
  it('takes the flag first, relative to the working directory', () => {
    expect(resolveResultsDir({ flag: 'out', env: { LLEM_RESULTS_DIR: 'env-out' }, configured: 'cfg-out', rootDir, cwd })).toBe('/home/u/work/out')
  })
  it('takes LLEM_RESULTS_DIR next, relative to the working directory', () => {
    expect(resolveResultsDir({ env: { LLEM_RESULTS_DIR: 'env-out' }, configured: 'cfg-out', rootDir, cwd })).toBe('/home/u/work/env-out')
  })
  it('ignores an empty LLEM_RESULTS_DIR and takes the config, relative to the config directory', () => {
    expect(resolveResultsDir({ env: { LLEM_RESULTS_DIR: '' }, configured: 'cfg-out', rootDir, cwd })).toBe('/home/u/project/cfg-out')
  })
  it('defaults to llem-results beside the config', () => {
    expect(resolveResultsDir({ env: {}, rootDir, cwd })).toBe('/home/u/project/llem-results')
  })
  it('keeps an absolute directory as it is', () => {
    expect(resolveResultsDir({ flag: '/data/runs', env: {}, rootDir, cwd })).toBe('/data/runs')
  })
})

describe('resultsDirLookup', () => {
  it('loads no config when the flag or the environment decides', async () => {
    let loads = 0
    const config = async () => (loads++, { resultsDir: 'cfg-out', rootDir })
    expect(await resultsDirLookup({ flag: 'out', env: {}, cwd, config })()).toBe('/home/u/work/out')
    expect(await resultsDirLookup({ env: { LLEM_RESULTS_DIR: 'e' }, cwd, config })()).toBe('/home/u/work/e')
    expect(loads).toBe(0)
  })
  it('loads the config once, when asked, and resolves its value against the config directory', async () => {
    let loads = 0
    const lookup = resultsDirLookup({ env: {}, cwd, config: async () => (loads++, { resultsDir: 'cfg-out', rootDir }) })
    expect(loads).toBe(0)
    expect(await lookup()).toBe('/home/u/project/cfg-out')
    expect(await lookup()).toBe('/home/u/project/cfg-out')
    expect(loads).toBe(1)
  })
  it('reads a number-like --results-dir as its name', () => {
    expect(resultsDirFlag({ resultsDir: 2024 })).toBe('2024')
    expect(resultsDirFlag({})).toBeUndefined()
  })
})
