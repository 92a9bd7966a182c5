/**
 * Snapshot of the machine a benchmark ran on, stored with every result so numbers can be
 * compared honestly (a different governor or a container changes energy and latency).
 * Every file read is optional: a field is null when its source is absent, never guessed.
 * All reads run in parallel and are small procfs/sysfs files, so this takes a few ms.
 */
import { readFile, access } from 'node:fs/promises'
import os from 'node:os'

export type ContainerRuntime = 'docker' | 'podman' | 'kubernetes' | 'lxc'

export interface MachineInfo {
  hostname: string
  os: {
    platform: NodeJS.Platform
    release: string
    arch: string
    /** PRETTY_NAME from /etc/os-release */
    distro: string | null
  }
  cpu: {
    model: string | null
    /** logical CPUs */
    cores: number
    /** distinct (physical id, core id) pairs in /proc/cpuinfo; null where it has no core ids (e.g. arm64) */
    physical_cores: number | null
    /** cpufreq scaling governor of cpu0; null without cpufreq (VMs, containers without sysfs) */
    governor: string | null
    /** current frequency of cpu0 at collection time (scaling_cur_freq, else /proc/cpuinfo, else os.cpus()) */
    frequency_mhz: number | null
  }
  memory: {
    total_mb: number
    /** MemAvailable (what can be allocated without swapping), else os.freemem() */
    available_mb: number
  }
  container: {
    detected: boolean
    runtime: ContainerRuntime | null
  }
  node: { version: string }
  collected_at: string
}

/** Paths, overridable so tests can point them at fixtures. */
export interface MachinePaths {
  osRelease: string
  cpuinfo: string
  meminfo: string
  governor: string
  curFreq: string
  dockerenv: string
  containerenv: string
  cgroup1: string
}

export const DEFAULT_MACHINE_PATHS: MachinePaths = {
  osRelease: '/etc/os-release',
  cpuinfo: '/proc/cpuinfo',
  meminfo: '/proc/meminfo',
  governor: '/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor',
  curFreq: '/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq',
  dockerenv: '/.dockerenv',
  containerenv: '/run/.containerenv',
  cgroup1: '/proc/1/cgroup',
}

async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return null
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}

const MB = 1024 * 1024

export function parseOsRelease(text: string | null): string | null {
  if (!text) return null
  const m = /^PRETTY_NAME=(.*)$/m.exec(text)
  if (!m) return null
  const value = m[1].trim().replace(/^(["'])(.*)\1$/, '$2')
  return value || null
}

export interface CpuinfoFacts {
  model: string | null
  physical_cores: number | null
  mhz: number | null
}

/** x86 lists 'model name' and per-processor 'physical id'/'core id'; arm64 lists neither. */
export function parseCpuinfo(text: string | null): CpuinfoFacts {
  if (!text) return { model: null, physical_cores: null, mhz: null }
  let model: string | null = null
  let mhz: number | null = null
  const cores = new Set<string>()
  for (const block of text.split(/\n\s*\n/)) {
    const field = (key: string) => new RegExp(`^${key}\\s*:\\s*(.*)$`, 'm').exec(block)?.[1]?.trim()
    model ??= field('model name') ?? field('Model') ?? null
    const speed = Number(field('cpu MHz'))
    if (mhz === null && Number.isFinite(speed) && speed > 0) mhz = speed
    const core = field('core id')
    if (core !== undefined) cores.add(`${field('physical id') ?? '0'}:${core}`)
  }
  return { model, physical_cores: cores.size > 0 ? cores.size : null, mhz }
}

/** MemAvailable in MB, null when absent (kernels before 3.14, non-Linux). */
export function parseMemAvailableMb(text: string | null): number | null {
  const kb = text ? Number(/^MemAvailable:\s+(\d+)\s*kB/m.exec(text)?.[1]) : NaN
  return Number.isFinite(kb) ? Math.round(kb / 1024) : null
}

/**
 * Which container runtime, most specific first: Kubernetes (its pods also run under a runtime
 * that leaves its own markers, but the orchestrator is what matters for reproducing a run),
 * then podman's /run/.containerenv, docker's /.dockerenv, then cgroup paths of PID 1 and the
 * `container` environment variable that systemd-style runtimes (lxc, podman) set.
 */
export function detectContainer(input: {
  env: NodeJS.ProcessEnv
  dockerenv: boolean
  containerenv: boolean
  cgroup: string | null
}): MachineInfo['container'] {
  const cg = input.cgroup ?? ''
  const envContainer = input.env.container ?? ''
  let runtime: ContainerRuntime | null = null
  if (input.env.KUBERNETES_SERVICE_HOST || /kubepods/.test(cg)) runtime = 'kubernetes'
  else if (input.containerenv || /libpod/.test(cg) || envContainer === 'podman') runtime = 'podman'
  else if (input.dockerenv || /docker/.test(cg) || envContainer === 'docker') runtime = 'docker'
  else if (/\/lxc[/.]|lxc\.payload/.test(cg) || envContainer === 'lxc') runtime = 'lxc'
  // other runtimes (containerd, systemd-nspawn) still count as a container, runtime unknown
  const detected = runtime !== null || envContainer !== '' || /containerd|cri-o|crio/.test(cg)
  return { detected, runtime }
}

export async function collectMachineInfo(paths: MachinePaths = DEFAULT_MACHINE_PATHS): Promise<MachineInfo> {
  const [osRelease, cpuinfo, meminfo, governor, curFreq, dockerenv, containerenv, cgroup] = await Promise.all([
    readOptional(paths.osRelease),
    readOptional(paths.cpuinfo),
    readOptional(paths.meminfo),
    readOptional(paths.governor),
    readOptional(paths.curFreq),
    exists(paths.dockerenv),
    exists(paths.containerenv),
    readOptional(paths.cgroup1),
  ])

  const cpus = os.cpus()
  const facts = parseCpuinfo(cpuinfo)
  const curKhz = Number(curFreq?.trim())
  const osSpeed = cpus[0]?.speed ?? 0
  const frequency_mhz =
    curFreq !== null && Number.isFinite(curKhz) && curKhz > 0
      ? Math.round(curKhz / 1000)
      : facts.mhz !== null
        ? Math.round(facts.mhz)
        : osSpeed > 0
          ? osSpeed
          : null

  return {
    hostname: os.hostname(),
    os: { platform: os.platform(), release: os.release(), arch: os.arch(), distro: parseOsRelease(osRelease) },
    cpu: {
      model: cpus[0]?.model?.trim() || facts.model,
      // os.cpus() is empty on some platforms (e.g. some arm64 kernels); availableParallelism never is
      cores: cpus.length > 0 ? cpus.length : os.availableParallelism(),
      physical_cores: facts.physical_cores,
      governor: governor?.trim() || null,
      frequency_mhz,
    },
    memory: {
      total_mb: Math.round(os.totalmem() / MB),
      available_mb: parseMemAvailableMb(meminfo) ?? Math.round(os.freemem() / MB),
    },
    container: detectContainer({ env: process.env, dockerenv, containerenv, cgroup }),
    node: { version: process.version },
    collected_at: new Date().toISOString(),
  }
}
