/**
 * `llem init` in an empty directory writes llem.config.ts, benchmarks/first.bench.ts and a GitHub
 * Actions workflow; the scaffold is a valid project (llem list plans its bench) and its bench runs as
 * written. Existing files are never overwritten without --force, and nothing is written when one is
 * in the way or another llem config would be read instead.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCli } from './fixtures/project.js'

// cosmiconfig's YAML parser, already installed with llem: the workflow must be YAML GitHub can read
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown }
const FILES = ['llem.config.ts', 'benchmarks/first.bench.ts', '.github/workflows/llem.yml']
const emptyDir = () => mkdtempSync(path.join(os.tmpdir(), 'llem-init-'))
const read = (dir: string, rel: string) => readFileSync(path.join(dir, rel), 'utf8')

interface Step { run?: string; uses?: string }

describe('llem init', () => {
  it('scaffolds a project whose bench runs as written, with a CI workflow that runs npx llem bench', async () => {
    const dir = emptyDir()
    const r = await runCli(dir, ['init'])
    expect(r.code, r.stderr).toBe(0)
    for (const f of FILES) {
      expect(existsSync(path.join(dir, f)), f).toBe(true)
      expect(r.stdout).toContain(`wrote ${f}`)
    }
    expect(r.stdout).toMatch(/next:[\s\S]*npx llem bench/)

    const workflow = yaml.load(read(dir, '.github/workflows/llem.yml')) as { on: Record<string, unknown>; jobs: Record<string, { steps: Step[] }> }
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push'])
    const steps = workflow.jobs.bench.steps
    // no lock file in the directory: npm install, then the benches
    expect(steps.map((s) => s.run ?? s.uses)).toEqual(['actions/checkout@v4', 'actions/setup-node@v4', 'npm install', expect.stringMatching(/^npx llem bench /), 'actions/upload-artifact@v4'])

    const list = await runCli(dir, ['list', '--json'])
    expect(list.code, list.stderr).toBe(0)
    const plan = JSON.parse(list.stdout)
    expect(plan.config_file).toBe(path.join(dir, 'llem.config.ts'))
    expect(plan.files).toEqual(['benchmarks/first.bench.ts'])
    expect(plan.experiments).toHaveLength(1)
    expect(plan.experiments[0].effective_config.backend.name).toBe('llama-cpp')

    // as written, only the waits shortened: no idle baseline, one warmup request
    const run = await runCli(dir, ['bench', '--reporter', 'json', '--measurement.baseline.enabled', 'false', '--measurement.warmup.mode', 'fixed', '--measurement.warmup.requests', '1'])
    expect(run.code, run.stderr + run.stdout).toBe(0)
    const runs = readdirSync(path.join(dir, 'llem-results')).filter((d) => !d.startsWith('.'))
    const [a] = JSON.parse(readFileSync(path.join(dir, 'llem-results', runs[0], 'results.json'), 'utf8')).results
    expect(a.status).toBe('completed')
    // the scaffold's bench: 4 prompts, repeated twice, 32 tokens each (ignoreEos)
    expect(a.num_requests).toBe(8)
    expect(a.total_output_tokens).toBe(8 * 32)
  })

  it('refuses to overwrite (exit 2, naming the files, nothing written) unless --force', async () => {
    const dir = emptyDir()
    expect((await runCli(dir, ['init'])).code).toBe(0)
    writeFileSync(path.join(dir, 'benchmarks/first.bench.ts'), '// mine\n')
    const again = await runCli(dir, ['init'])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain('llem.config.ts, benchmarks/first.bench.ts, .github/workflows/llem.yml already exist')
    expect(again.stderr).toContain('--force')
    expect(read(dir, 'benchmarks/first.bench.ts')).toBe('// mine\n')

    const forced = await runCli(dir, ['init', '--force'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(forced.stdout).toContain('overwrote benchmarks/first.bench.ts')
    expect(read(dir, 'benchmarks/first.bench.ts')).toContain("backend: 'llama-cpp'")
  })

  it('writes nothing when one file exists, or another llem config would be read instead', async () => {
    const one = emptyDir()
    writeFileSync(path.join(one, 'llem.config.ts'), 'export default {}\n')
    const r = await runCli(one, ['init'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/llem\.config\.ts already exists in .*: nothing written/)
    expect(existsSync(path.join(one, 'benchmarks'))).toBe(false)

    const other = emptyDir()
    writeFileSync(path.join(other, '.llemrc.json'), '{}\n')
    const o = await runCli(other, ['init', '--force'])
    expect(o.code).toBe(2)
    expect(o.stderr).toContain('already has a llem config (.llemrc.json)')
    expect(readdirSync(other)).toEqual(['.llemrc.json'])

    const opts = await runCli(emptyDir(), ['init', '--load.concurrency', '2'])
    expect(opts.code).toBe(2)
    expect(opts.stderr).toContain('llem init takes no config options (--load.concurrency)')
  })

  it('into a named directory, with npm ci where the project has a lock file and no install hint where llem is a dependency', async () => {
    const parent = emptyDir()
    const dir = path.join(parent, 'proj')
    const r0 = await runCli(parent, ['init', 'proj'])
    expect(r0.code, r0.stderr).toBe(0)
    expect(r0.stdout).toContain('wrote proj/llem.config.ts')
    expect(r0.stdout).toContain('cd proj')

    const locked = emptyDir()
    writeFileSync(path.join(locked, 'package.json'), JSON.stringify({ devDependencies: { llem: '*' } }))
    writeFileSync(path.join(locked, 'package-lock.json'), '{}')
    const r = await runCli(locked, ['init'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain('npm install --save-dev')
    const steps = (yaml.load(read(locked, '.github/workflows/llem.yml')) as { jobs: { bench: { steps: Step[] } } }).jobs.bench.steps
    expect(steps.map((s) => s.run).filter(Boolean)[0]).toBe('npm ci')
    expect(existsSync(dir)).toBe(true)
  })
})
