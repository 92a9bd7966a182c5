/**
 * Issue 14, item 15: config and bench files compiled from TypeScript are cached by jiti. Its default
 * cache is <tmpdir>/jiti, shared by every user of a login node: whoever creates it first can plant
 * compiled code that then runs as everyone else. llem keeps the cache per user, under its own cache
 * directory, with mode 0700, and never touches the shared one.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, runCli } from './fixtures/project.js'

describe("jiti's transpile cache", () => {
  it('lives in the per-user llem cache directory with mode 0700, not in the shared tmp directory', async () => {
    const dir = makeProject({
      'llem.config.ts': `const n: number = 1\nexport default { bail: n }\n`,
      'benchmarks/a.bench.ts': `import { bench } from 'llem'\nconst p: string[] = ['x']\nbench('a', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: p } })\n`,
    })
    const tmp = path.join(dir, 'shared-tmp')
    const cache = path.join(dir, 'user-cache')
    mkdirSync(tmp)
    const r = await runCli(dir, ['list'], { TMPDIR: tmp, LLEM_CACHE_DIR: cache })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('a')
    expect(existsSync(path.join(tmp, 'jiti')), 'the shared <tmpdir>/jiti was used').toBe(false)
    const jiti = path.join(cache, 'jiti')
    expect((statSync(jiti).mode & 0o777).toString(8)).toBe('700')
    // the cache is really used: the two .ts files were compiled into it
    expect(readdirSync(jiti).length).toBeGreaterThanOrEqual(2)
  })

  it('an existing cache directory made with a looser mode is tightened to 0700', async () => {
    const dir = makeProject({ 'llem.config.ts': `export default { bail: 1 as number }\n` })
    const cache = path.join(dir, 'user-cache')
    mkdirSync(path.join(cache, 'jiti'), { recursive: true, mode: 0o777 })
    const r = await runCli(dir, ['list'], { LLEM_CACHE_DIR: cache })
    expect(r.code, r.stderr).toBe(0)
    expect((statSync(path.join(cache, 'jiti')).mode & 0o777).toString(8)).toBe('700')
  })
})
