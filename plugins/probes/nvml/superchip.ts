/**
 * Grace Hopper (and Grace Blackwell) superchips: on these, NVML's power fields with the module scope
 * (scopeId NVML_POWER_SCOPE_MODULE) report the whole module, Grace CPU, GPU and memory together
 * (docs/references.md). llem reports that as the module's energy, the total, with the GPU's own
 * counter inside it as the GPU component; a CPU probe's energy beside it is never added on top.
 *
 * Detection needs both the name (GH200, GB200, ...) and a module-scope reading: a driver that ignored
 * scopeId would otherwise make every discrete GPU look like a module.
 */
import type { Nvml, NvmlDevice } from './nvml.js'

const SUPERCHIP_NAME = /\bG[HB]\d{3}\b/

export function isSuperchip(nvml: Nvml, name: string, handle: NvmlDevice): boolean {
  return SUPERCHIP_NAME.test(name) && nvml.moduleInstantPowerMw(handle) !== null
}

/** The module's energy: the trapezoid of module-scope instant power between reads (NVML has no module energy counter). */
export class ModuleEnergy {
  joules = 0
  watts: number | null = null
  private last: { t: number; w: number } | null = null

  constructor(private readonly nvml: Nvml, private readonly handle: NvmlDevice) {}

  read(t: number): number {
    const mw = this.nvml.moduleInstantPowerMw(this.handle)
    if (mw !== null) {
      const w = mw / 1000
      if (this.last && t > this.last.t) this.joules += ((w + this.last.w) / 2) * ((t - this.last.t) / 1000)
      this.last = { t, w }
      this.watts = w
    }
    return this.joules
  }
}

export function moduleDomain(uuid: string): string {
  return `${uuid}/module`
}

export function superchipWarning(name: string, uuid: string): string {
  return `${name} (${uuid}) is a superchip: NVML's module power covers its Grace CPU, GPU and memory, so the module's energy (integrated module-scope power) is the total and the GPU counter is its GPU component; no CPU probe's energy is added on top`
}
