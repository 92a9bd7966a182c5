/**
 * RAPL without root: since Linux 5.10 energy_uj is mode 0400, root only. A fake powercap tree is given
 * those modes and the real CLI runs as another user (nobody, when the tests run as root; when they do
 * not, the counters are made unreadable to their owner instead), so the read fails with EACCES from the
 * kernel's own permission check, nothing injected. `llem env` must say exactly why and print the udev
 * rule and tmpfiles line, and a bench that falls back to the CPU estimate must say the same.
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakePowercap, type FakePowercap } from './fixtures/fake-powercap.js'
import { BIN, makeProject } from './fixtures/project.js'

const AS_ROOT = process.getuid?.() === 0
const NOBODY = 65534

let pc: FakePowercap | null = null
afterEach(() => {
  pc?.cleanup()
  pc = null
})

function rootOnlyTree(): FakePowercap {
  pc = createFakePowercap()
  pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 5_000_000 })
  pc.addZone('intel-rapl:0:0', { name: 'core', energyUj: 1_000_000 })
  pc.rootOnlyCounters()
  // not root: the owner's own 0400 file is readable, so take the owner's read bit away too
  if (!AS_ROOT) for (const z of ['intel-rapl:0', 'intel-rapl:0/intel-rapl:0:0']) chmodSync(path.join(pc.root, '..', 'devices', 'intel-rapl', z, 'energy_uj'), 0o000)
  return pc
}

/** A directory the other user can write (the project, its results, the model cache, HOME). */
function openDir(dir: string): string {
  chmodSync(dir, 0o777)
  return dir
}

function runAsOtherUser(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = openDir(mkdtempSync(path.join(os.tmpdir(), 'llem-home-')))
  const cache = path.join(home, 'cache')
  mkdirSync(cache)
  openDir(cache)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, HOME: home, LLEM_CACHE_DIR: cache, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {}),
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

const configFor = (root: string, extra = '') => `export default {
  probes: { nvml: false, rapl: { root: ${JSON.stringify(root)} } },
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 8 },${extra}
}
`

describe('RAPL counters readable by root only', () => {
  it('llem env says the read was refused, why, and prints the udev rule and tmpfiles line', async () => {
    const tree = rootOnlyTree()
    const dir = openDir(makeProject({ 'llem.config.ts': configFor(tree.root) }))
    const json = await runAsOtherUser(dir, ['env', '--json'])
    expect(json.code, json.stderr).toBe(0)
    const rapl = JSON.parse(json.stdout).probes.rapl
    expect(rapl.available).toBe(false)
    // the first zone's counter is the one refused, by its path
    expect(rapl.reason).toContain(`permission denied reading ${path.join(tree.root, 'intel-rapl:0', 'energy_uj')}`)
    expect(rapl.reason).toContain('Linux 5.10')
    expect(rapl.reason).toContain('CVE-2020-8694')
    const fix = rapl.fix.join('\n')
    expect(fix).toContain('ACTION=="add", SUBSYSTEM=="powercap", KERNEL=="intel-rapl:*", RUN+="/bin/chgrp powercap /sys%p/energy_uj", RUN+="/bin/chmod g+r /sys%p/energy_uj"')
    expect(fix).toContain('z /sys/class/powercap/intel-rapl:*/energy_uj 0440 root powercap - -')
    expect(fix).toContain('usermod -aG powercap')

    const text = await runAsOtherUser(dir, ['env'])
    expect(text.stdout).toMatch(/✗ rapl: permission denied reading .*energy_uj: since Linux 5\.10/)
    expect(text.stdout).toContain('      fix:')
    expect(text.stdout).toContain('      z /sys/class/powercap/intel-rapl:*/energy_uj 0440 root powercap - -')
  })

  it('a readable tree is not reported as a permission problem', async () => {
    pc = createFakePowercap()
    pc.addZone('intel-rapl:0', { name: 'package-0', energyUj: 1 })
    pc.rootOnlyCounters()
    // the counters' owner (root, or the user running the tests, who created them) reads 0400 files
    const dir = makeProject({ 'llem.config.ts': configFor(pc.root) })
    const r = spawnSync(process.execPath, [BIN, 'env', '--json'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } })
    expect(JSON.parse(r.stdout).probes.rapl).toEqual({ available: true, reason: 'RAPL energy counters: package-0' })
  })

  it('a bench that falls back to the CPU estimate says why RAPL was refused and how to fix it', async () => {
    const tree = rootOnlyTree()
    const dir = openDir(makeProject({
      'llem.config.ts': configFor(tree.root),
      'benchmarks/a.bench.ts': `import { bench } from 'llem'\nbench('fallback', { backend: 'llama-cpp', model: { random: 'llama-1m' }, dataset: { prompts: ['Hello'] }, load: { requests: 3 } })\n`,
    }))
    openDir(path.join(dir, 'benchmarks'))
    const r = await runAsOtherUser(dir, ['bench'])
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const runDir = path.join(dir, 'llem-results', readdirSync(path.join(dir, 'llem-results'))[0])
    const agg = JSON.parse(readFileSync(path.join(runDir, 'aggregated', readdirSync(path.join(runDir, 'aggregated'))[0]), 'utf8'))
    const raw = agg.process_results[0]
    expect(raw.energy_metrics.component_methods.cpu.probe).toBe('cpu-estimate')
    const w = raw.measurement_warnings.find((m: string) => m.includes('stands in for rapl'))
    expect(w).toContain(`permission denied reading ${path.join(tree.root, 'intel-rapl:0', 'energy_uj')}`)
    expect(w).toContain('CVE-2020-8694')
    expect(w).toContain('z /sys/class/powercap/intel-rapl:*/energy_uj 0440 root powercap - -')
    expect(w).toContain('RUN+="/bin/chmod g+r /sys%p/energy_uj"')
    expect(raw.environment.unavailable_probes.rapl).toContain('permission denied')
  }, 120_000)
})
