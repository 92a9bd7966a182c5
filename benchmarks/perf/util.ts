/** Shared helpers for llem's own performance benchmarks: temp projects, timing child processes, medians. */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(REPO, 'bin', 'llem.js')
export const CACHE = path.join(os.tmpdir(), 'llem-perf-cache')

// the temp projects are removed when the benchmark process exits (the model cache above is kept)
const projects: string[] = []
process.on('exit', () => {
  for (const dir of projects) rmSync(dir, { recursive: true, force: true })
})

export function project(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llem-perf-'))
  projects.push(dir)
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true })
    writeFileSync(path.join(dir, rel), content)
  }
  return dir
}

export function run(cmd: string, args: string[], cwd: string): { ms: number; stdout: string; code: number | null } {
  const t0 = performance.now()
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, LLEM_CACHE_DIR: CACHE, CI: 'true', NO_COLOR: '1' } })
  const ms = performance.now() - t0
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
  return { ms, stdout: r.stdout, code: r.status }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}
