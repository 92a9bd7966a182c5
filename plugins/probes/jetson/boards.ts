/**
 * What each Jetson rail measures, from the names the boards give them (docs/references.md, "NVIDIA
 * Jetson power rails"), and which rails make the module's energy.
 *
 * The module is what llem totals. Where the board has a rail for the module's whole input (VDD_IN on
 * TX1, TX2, TX2 NX, Xavier NX and Orin NX / Nano; POM_5V_IN on the Nano; 5V_IN in some Xavier NX
 * documents) that rail is it, and the others are parts of it. AGX Xavier and AGX Orin have no such
 * rail: their module is the sum of the rails NVIDIA lists for the module (energymon's choice on
 * those boards too). Elsewhere every rail that is not on the carrier board is summed, with a warning.
 */
import type { EnergyDomainKind } from 'llem/plugin/runtime'

export const TOTAL_INPUT_RAILS = ['VDD_IN', 'POM_5V_IN', '5V_IN'] as const

/** rails of one part: the component they make (a shared rail counts where its main load is, named so) */
const KIND: Record<string, EnergyDomainKind> = {
  GPU: 'gpu', VDD_GPU: 'gpu', VDD_SYS_GPU: 'gpu', POM_5V_GPU: 'gpu', VDD_GPU_SOC: 'gpu',
  CPU: 'cpu', VDD_CPU: 'cpu', VDD_SYS_CPU: 'cpu', POM_5V_CPU: 'cpu', VDD_CPU_CV: 'cpu',
  VDD_SYS_DDR: 'dram', VDDRQ: 'dram', VDDQ_VDD2_1V8AO: 'dram',
}

/** TX1 / TX2 carrier-board monitors (0x42, 0x43): fed beside the module, not inside it */
const CARRIER = new Set(['VDD_MUX', 'VDD_5V_IO_SYS', 'VDD_5V0_IO_SYS', 'VDD_3V3_SYS', 'VDD_3V3_IO', 'VDD_3V3_IO_SLP', 'VDD_1V8_IO', 'VDD_3V3_SYS_M2', 'VDD_M2_IN'])

/** boards without a total input rail: the rails whose sum is the module */
const SUMMED_MODULES: { board: string; rails: string[] }[] = [
  { board: 'Jetson AGX Orin', rails: ['VDD_GPU_SOC', 'VDD_CPU_CV', 'VIN_SYS_5V0'] },
  { board: 'Jetson AGX Xavier', rails: ['GPU', 'CPU', 'SOC', 'CV', 'VDDRQ', 'SYS5V'] },
]

export function isCarrierRail(name: string): boolean {
  return CARRIER.has(name)
}

export function railKind(name: string): EnergyDomainKind {
  return KIND[name] ?? 'other'
}

export interface ModulePlan {
  /** 'rail': one rail is the module's input; 'sum': the module is the sum of `rails` */
  how: 'rail' | 'sum'
  rails: string[]
  /** the board the plan was recognised from, or why it is a guess */
  basis: string
  /** set when the plan is a guess (an unknown board) */
  warning?: string
}

/** How the module's energy is made from the rails found (or from the rails the user names). */
export function modulePlan(names: readonly string[], override?: readonly string[]): ModulePlan {
  if (override?.length) {
    const missing = override.filter((r) => !names.includes(r))
    if (missing.length) throw new Error(`jetson.moduleRails names rails this board does not have: ${missing.join(', ')} (found: ${names.join(', ')})`)
    return override.length === 1 ? { how: 'rail', rails: [...override], basis: 'probes.jetson.moduleRails' } : { how: 'sum', rails: [...override], basis: 'probes.jetson.moduleRails' }
  }
  const input = TOTAL_INPUT_RAILS.find((r) => names.includes(r))
  if (input) return { how: 'rail', rails: [input], basis: `${input}, the module's input rail` }
  const known = SUMMED_MODULES.find((b) => b.rails.every((r) => names.includes(r)))
  if (known) return { how: 'sum', rails: known.rails, basis: `${known.board}: sum of ${known.rails.join(' + ')}` }
  const onModule = names.filter((r) => !CARRIER.has(r))
  return {
    how: 'sum', rails: onModule, basis: `unknown board: sum of every rail (${onModule.join(' + ')})`,
    warning: `jetson: no module input rail and not a board llem knows; the module energy is the sum of every rail (${onModule.join(', ')}), whose scopes may overlap or miss parts: set probes.jetson.moduleRails`,
  }
}
