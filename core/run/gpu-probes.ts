/**
 * The probes that can tell the scheduler about GPUs: every built-in probe, then the user probes the
 * configuration names, that offers `accelerators()` or `temperatures()`, each with its configured
 * options (probes.nvml.library reaches the NVML the slots and the cool-down read). A probe switched
 * off for measuring (`nvml: false`) still names the GPUs a run may use: pinning does not depend on
 * measuring them.
 */
import { builtinProbes } from '../plugins/builtins.js'
import { loadProbe } from '../plugins/load-plugins.js'
import type { Probe } from '../probes/types.js'

export type ProbesConfig = Record<string, false | Record<string, unknown>>

export interface GpuProbe {
  name: string
  probe: Probe<any>
  options: Record<string, unknown>
}

export async function gpuProbes(config: ProbesConfig, rootDir: string = process.cwd()): Promise<GpuProbe[]> {
  const names = [...Object.keys(builtinProbes), ...Object.keys(config).filter((n) => !Object.hasOwn(builtinProbes, n) && config[n] !== false)]
  const out: GpuProbe[] = []
  for (const name of names) {
    const probe = await loadProbe(name, rootDir)
    if (!probe.accelerators && !probe.temperatures) continue
    const options = config[name]
    out.push({ name, probe, options: options ? options : {} })
  }
  return out
}
