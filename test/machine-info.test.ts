import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os, { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_MACHINE_PATHS,
  collectMachineInfo,
  detectContainer,
  parseCpuinfo,
  parseOsRelease,
  type MachineInfo,
  type MachinePaths,
} from '../core/env/machine.js'

const nullableString = (v: unknown) => v === null || typeof v === 'string'
const nullableNumber = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0)

describe('collectMachineInfo', () => {
  it('returns a typed snapshot of this machine, quickly', async () => {
    const t0 = performance.now()
    const info: MachineInfo = await collectMachineInfo()
    expect(performance.now() - t0).toBeLessThan(50)

    expect(info.hostname).toBe(os.hostname())
    expect(info.os).toMatchObject({ platform: process.platform, release: os.release(), arch: process.arch })
    expect(nullableString(info.os.distro)).toBe(true)
    expect(nullableString(info.cpu.model)).toBe(true)
    expect(info.cpu.cores).toBe(os.cpus().length)
    expect(nullableNumber(info.cpu.physical_cores)).toBe(true)
    if (info.cpu.physical_cores !== null) expect(info.cpu.physical_cores).toBeLessThanOrEqual(info.cpu.cores)
    expect(nullableString(info.cpu.governor)).toBe(true)
    expect(nullableNumber(info.cpu.frequency_mhz)).toBe(true)
    expect(info.memory.total_mb).toBe(Math.round(os.totalmem() / 1024 / 1024))
    expect(info.memory.available_mb).toBeGreaterThan(0)
    expect(info.memory.available_mb).toBeLessThanOrEqual(info.memory.total_mb)
    expect(typeof info.container.detected).toBe('boolean')
    expect([null, 'docker', 'podman', 'kubernetes', 'lxc']).toContain(info.container.runtime)
    if (info.container.runtime !== null) expect(info.container.detected).toBe(true)
    expect(info.node.version).toBe(process.version)
    expect(new Date(info.collected_at).toISOString()).toBe(info.collected_at)
  })

  it('gives null, not a guess, when the optional files are absent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llem-machine-'))
    try {
      const missing = join(dir, 'missing')
      const empty = Object.fromEntries(Object.keys(DEFAULT_MACHINE_PATHS).map((k) => [k, missing])) as unknown as MachinePaths
      const info = await collectMachineInfo(empty)
      expect(info.os.distro).toBeNull()
      expect(info.cpu.physical_cores).toBeNull()
      expect(info.cpu.governor).toBeNull()
      expect(info.memory.available_mb).toBeGreaterThan(0) // falls back to os.freemem()

      writeFileSync(join(dir, 'os-release'), 'NAME="X"\nPRETTY_NAME="Example Linux 1.0"\n')
      writeFileSync(join(dir, 'gov'), 'performance\n')
      writeFileSync(join(dir, 'freq'), '2400000\n')
      const info2 = await collectMachineInfo({ ...empty, osRelease: join(dir, 'os-release'), governor: join(dir, 'gov'), curFreq: join(dir, 'freq') })
      expect(info2.os.distro).toBe('Example Linux 1.0')
      expect(info2.cpu.governor).toBe('performance')
      expect(info2.cpu.frequency_mhz).toBe(2400)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('machine info parsers', () => {
  it('parses os-release with or without quotes', () => {
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe('Debian GNU/Linux 12 (bookworm)')
    expect(parseOsRelease('PRETTY_NAME=Alpine\n')).toBe('Alpine')
    expect(parseOsRelease('NAME=x\n')).toBeNull()
  })

  it('counts physical cores from distinct (physical id, core id) pairs', () => {
    const proc = (p: number, phys: number, core: number) =>
      `processor\t: ${p}\nmodel name\t: Test CPU\ncpu MHz\t\t: 2100.000\nphysical id\t: ${phys}\ncore id\t\t: ${core}\n`
    // 2 sockets × 2 cores × 2 threads
    const text = [proc(0, 0, 0), proc(1, 0, 1), proc(2, 0, 0), proc(3, 0, 1), proc(4, 1, 0), proc(5, 1, 1), proc(6, 1, 0), proc(7, 1, 1)].join('\n')
    expect(parseCpuinfo(text)).toEqual({ model: 'Test CPU', physical_cores: 4, mhz: 2100 })
    expect(parseCpuinfo('processor\t: 0\nBogoMIPS\t: 50.00\n')).toEqual({ model: null, physical_cores: null, mhz: null })
  })

  it('detects container runtimes from their markers', () => {
    const base = { env: {}, dockerenv: false, containerenv: false, cgroup: '0::/\n' }
    expect(detectContainer(base)).toEqual({ detected: false, runtime: null })
    expect(detectContainer({ ...base, dockerenv: true })).toEqual({ detected: true, runtime: 'docker' })
    expect(detectContainer({ ...base, containerenv: true })).toEqual({ detected: true, runtime: 'podman' })
    expect(detectContainer({ ...base, env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, dockerenv: true })).toEqual({ detected: true, runtime: 'kubernetes' })
    expect(detectContainer({ ...base, cgroup: '12:pids:/kubepods/burstable/pod1/abc\n' }).runtime).toBe('kubernetes')
    expect(detectContainer({ ...base, cgroup: '0::/lxc.payload.c1\n' }).runtime).toBe('lxc')
    expect(detectContainer({ ...base, cgroup: '1:name=systemd:/docker/abc\n' }).runtime).toBe('docker')
  })
})
