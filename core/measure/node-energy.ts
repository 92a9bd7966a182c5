/**
 * Whole-node energy (a BMC's reading, probes redfish and ipmi) beside the sum of the measured
 * components. The node contains the GPUs, CPUs and RAM the other probes measure, plus what none of
 * them sees (fans, disks, NICs, the power supplies' own losses): that difference is reported as the
 * rest of the node. Node energy never enters total_energy_j, which stays the components' sum.
 */
import type { Confidence, ProbeSession } from '../probes/types.js'
import type { EnergySnapshot } from './probe-set.js'
import { confidenceFor } from './uncertainty.js'

export interface NodeEnergy {
  probe: string
  domain: string
  method: 'counter' | 'integrated_power'
  confidence: Confidence
  /** null when the BMC's readings do not cover the window (see reason) */
  energy_j: number | null
  power_w: number | null
  /** the measured components' sum over the same window (total_energy_j) */
  components_energy_j: number | null
  /** energy_j - components_energy_j: what the component meters do not see; negative when they exceed the node */
  rest_of_node_energy_j: number | null
  /** how often llem polled the BMC (ms) and the BMC's own averaging / sensing interval, as it states it */
  polling_interval_ms: number | null
  bmc_averaging_interval_sec: number | null
  bmc_sensing_interval_ms: number | null
  /** smallest rise of the BMC's energy counter between two readings (J), for the counter method */
  counter_step_j: number | null
  reason: string | null
}

const RANK = { high: 3, medium: 2, low: 1 } as const
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

/**
 * The node reading of the window [start, end], from the first node probe (a counter before an
 * integral). A BMC's energy counter is preferred; where it is coarser than a poll (it stood still
 * between some readings) and rose by fewer than 10 of its steps over the window (EnergykWh counted in
 * 0.001 kWh moves in 3600 J steps), or it never moved, the power readings integrated over the same
 * window are reported instead, with a warning.
 */
export function nodeEnergy(sessions: ProbeSession[], start: EnergySnapshot, end: EnergySnapshot, componentsJ: number | null): { node: NodeEnergy | null; warnings: string[] } {
  const warnings: string[] = []
  const durationSec = (end.t - start.t) / 1000
  const found: NodeEnergy[] = []
  const delta = (key: string) => {
    const a = start.domains[key]
    const b = end.domains[key]
    return a && b ? b.energy_j - a.energy_j : null
  }
  for (const s of sessions) {
    // in-memory for a node probe: its readings come from a background sampler
    const domains = Object.keys(end.domains).some((k) => k.startsWith(`${s.probe}:`) && end.domains[k].kind === 'node') ? s.readEnergy() : []
    for (const d of domains) {
      if (d.kind !== 'node' || d.contained_in) continue
      let energy = delta(`${s.probe}:${d.domain}`)
      if (energy === null) continue
      const described = s.describe()
      let method: NodeEnergy['method'] = (d.method ?? s.method) === 'counter' ? 'counter' : 'integrated_power'
      const polling = num(described.polling_interval_ms)
      const step = num(described.counter_step_j)
      const moved = described.counter_moved !== false
      if (method === 'counter' && (!moved || (step !== null && energy < 10 * step))) {
        const twin = domains.find((x) => x.contained_in === d.domain && x.kind === 'node')
        const integrated = twin ? delta(`${s.probe}:${twin.domain}`) : null
        if (integrated !== null) {
          warnings.push(`node energy (${s.probe}): the BMC's energy counter ${!moved || step === null ? 'did not move during the session, so its step is unknown' : `rose by ${energy.toFixed(1)} J, fewer than 10 of its ${step.toFixed(1)} J steps`}: too coarse for this window; its power readings are integrated instead`)
          energy = integrated
          method = 'integrated_power'
        }
      }
      const gap = s.coverage?.(start.t, end.t) ?? null
      let confidence: Confidence = confidenceFor(method, durationSec, polling)
      if (RANK[s.confidence] < RANK[confidence]) confidence = s.confidence
      if (gap) energy = null
      found.push({
        probe: s.probe, domain: d.domain, method, confidence, energy_j: energy,
        power_w: energy !== null && durationSec > 0 ? energy / durationSec : null,
        components_energy_j: componentsJ,
        rest_of_node_energy_j: energy !== null && componentsJ !== null ? energy - componentsJ : null,
        polling_interval_ms: polling, bmc_averaging_interval_sec: num(described.bmc_averaging_interval_sec), bmc_sensing_interval_ms: num(described.bmc_sensing_interval_ms),
        counter_step_j: step,
        reason: gap,
      })
    }
  }
  if (found.length === 0) return { node: null, warnings }
  const node = found.find((n) => n.method === 'counter' && n.energy_j !== null) ?? found.find((n) => n.energy_j !== null) ?? found[0]
  for (const other of found.filter((n) => n !== node && n.energy_j !== null))
    warnings.push(`node energy: ${other.probe} measured ${other.energy_j!.toFixed(1)} J for the same window (${node.probe}'s ${node.energy_j?.toFixed(1) ?? 'n/a'} J is reported)`)
  if (node.reason) warnings.push(`node energy (${node.probe}) is not reported: ${node.reason}`)
  const polls = node.polling_interval_ms !== null ? (durationSec * 1000) / node.polling_interval_ms : null
  if (node.energy_j !== null && polls !== null && polls < 10)
    warnings.push(`node energy (${node.probe}): the window (${durationSec.toFixed(1)} s) spans only ${polls.toFixed(1)} BMC readings (every ${node.polling_interval_ms} ms): its edges are bridged with the last reading, a large share of a window this short`)
  if (node.rest_of_node_energy_j !== null && node.rest_of_node_energy_j < 0)
    warnings.push(`the measured components (${node.components_energy_j!.toFixed(1)} J) exceed the node's own reading (${node.energy_j!.toFixed(1)} J, ${node.probe}) by ${(-node.rest_of_node_energy_j).toFixed(1)} J: the meters disagree (the BMC averages over its own interval and may lag or smooth the load; each meter has its own accuracy), so the rest of the node is not known for this window`)
  return { node, warnings }
}
