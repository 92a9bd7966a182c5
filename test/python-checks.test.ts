/**
 * The Python in the repo (the transformers worker, its pytest tests and helpers, the fault-injection
 * stand-ins, the perf loop, scripts) held to the TypeScript's standard under `npm test`: ruff's lint and
 * format check, mypy (settings in pyproject.toml), and the worker's own pytest suite on both real stacks,
 * transformers 5.x and the oldest supported 4.x. The tools are pinned in requirements/tf5.txt.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { REPO } from './fixtures/project.js'
import { ENV_BUILD_TIMEOUT_MS, OFFLINE_ENV, pythonEnv } from './fixtures/python-envs.js'

function run(python: string, args: string[], env: Record<string, string> = {}) {
  // nothing written into the checkout: no __pycache__ beside the worker that the package ships
  const r = spawnSync(python, args, { cwd: REPO, encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...OFFLINE_ENV, ...env }, timeout: 300_000 })
  return { code: r.status, output: `${python} ${args.join(' ')}\n${r.stdout}${r.stderr}${r.error ?? ''}` }
}

describe('the Python in the repo', () => {
  let tf5 = ''
  let tf4 = ''
  beforeAll(() => {
    tf5 = pythonEnv('tf5')
    tf4 = pythonEnv('tf4')
  }, ENV_BUILD_TIMEOUT_MS)

  it('ruff: lint and format', () => {
    for (const args of [['check', '.'], ['format', '--check', '.']]) {
      const r = run(tf5, ['-m', 'ruff', ...args])
      expect(r.code, r.output).toBe(0)
    }
  })

  it('mypy: the worker, its tests and helpers, and the fault-injection stand-ins', () => {
    const own = run(tf5, ['-m', 'mypy', 'plugins/backends/transformers', 'test/python', 'benchmarks/perf', 'scripts/gpu-load.py'])
    expect(own.code, own.output).toBe(0)
    // the stand-ins are packages named torch and transformers: checked on their own, found first on MYPYPATH
    const standIn = run(tf5, ['-m', 'mypy', '-p', 'torch', '-p', 'transformers'], { MYPYPATH: path.join(REPO, 'test', 'fixtures', 'fault-injection-transformers') })
    expect(standIn.code, standIn.output).toBe(0)
  })

  it('pytest: the worker on transformers 5.x', () => {
    const r = run(tf5, ['-m', 'pytest', '-q'])
    expect(r.code, r.output).toBe(0)
  })

  it('pytest: the worker on the oldest supported transformers 4.x', () => {
    const r = run(tf4, ['-m', 'pytest', '-q'])
    expect(r.code, r.output).toBe(0)
  })
})
