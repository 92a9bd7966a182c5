/**
 * `llem list --json` writes a large plan one experiment at a time: the output is still one JSON
 * document holding every point of the sweep exactly as the bench file wrote it, a secret that one
 * point's backend env sets is masked where every other point's config echoes it, and a reader that
 * goes away after the first bytes (`| head -c 100`) ends the listing with exit 0.
 */
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { BIN, makeProject, runCli } from './fixtures/project.js'

const PKG = '{ "name": "p", "private": true, "type": "module" }\n'
const SECRET = 'sk-live-a1b2c3d4e5f6'
// 60 x 25 x 2 = 3,000 points; the third axis is the prompt: the first value only echoes the secret,
// the second sets it under a secret name (API_TOKEN=...), so the echoes listed before any
// experiment that names it are masked only if the whole plan was searched for secrets first
const SEEDS = Array.from({ length: 60 }, (_, i) => i * 7)
const TOKENS = Array.from({ length: 25 }, (_, i) => i + 3)
const BENCH = `import { bench } from 'llem'
bench('big', {
  backend: 'llama-cpp', model: { random: 'llama-1m' },
  sweep: { 'load.seed': ${JSON.stringify(SEEDS)}, 'generation.maxTokens': ${JSON.stringify(TOKENS)}, 'dataset.prompts': [['the key is ${SECRET}'], ['API_TOKEN=${SECRET}']] },
})
`

interface Listed {
  experiments: { sweep_point: Record<string, unknown>; effective_config: { load: { seed: number }; generation: { maxTokens: number } } }[]
}

describe('llem list --json on a large sweep', () => {
  it('holds every point once, as written, with the secret masked everywhere', async () => {
    const dir = makeProject({ 'package.json': PKG, 'benchmarks/big.bench.ts': BENCH })
    const r = await runCli(dir, ['list', '--json'])
    expect(r.code).toBe(0)
    expect(r.stdout).not.toContain(SECRET)
    const listed = JSON.parse(r.stdout) as Listed
    // written in pieces (each config section's text once), it is the text of one JSON.stringify
    expect(r.stdout).toBe(JSON.stringify(listed, null, 2) + '\n')
    expect(listed.experiments).toHaveLength(SEEDS.length * TOKENS.length * 2)
    const seen = new Set(listed.experiments.map((x) => `${x.effective_config.load.seed}/${x.effective_config.generation.maxTokens}/${JSON.stringify(x.sweep_point['dataset.prompts'])}`))
    expect(seen.size).toBe(SEEDS.length * TOKENS.length * 2)
    for (const s of SEEDS) for (const t of TOKENS) expect(seen.has(`${s}/${t}/["the key is [redacted]"]`)).toBe(true)
    // grid order: the last axis fastest
    expect(listed.experiments.slice(0, 3).map((x) => [x.sweep_point['load.seed'], x.sweep_point['generation.maxTokens']])).toEqual([[0, 3], [0, 3], [0, 4]])
  }, 60_000)

  it('a reader that stops after 100 bytes ends it with exit 0', async () => {
    const dir = makeProject({ 'package.json': PKG, 'benchmarks/big.bench.ts': BENCH })
    const child = spawn(process.execPath, [BIN, 'list', '--json'], { cwd: dir, env: { ...process.env, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let got = ''
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.stdout.once('data', (d: Buffer) => {
      got = d.toString().slice(0, 100)
      child.stdout.destroy()
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(got.startsWith('{\n  "config_file"')).toBe(true)
    expect(stderr).toBe('')
    expect(code).toBe(0)
  }, 60_000)
})
