/**
 * The ProbeSession of a whole-node probe (redfish, ipmi): one 'node' energy domain read from a
 * NodeSampler, one timeline column with the BMC's last power reading. Node energy is never added to
 * the components' sum (it contains them): the results show it beside that sum.
 */
import type { ProbeSession } from 'llem/plugin/runtime'
import type { NodeSampler } from './node-sampler.js'

export interface NodeSessionSpec {
  probe: string
  sampler: NodeSampler
  describe: Record<string, unknown>
  warnings?: () => string[]
  close?: () => Promise<void>
}

/** the timeline column with the BMC's power reading in force */
export const nodePowerColumn = (probe: string) => `${probe}_node_power_w`

export function nodeSession(spec: NodeSessionSpec): ProbeSession {
  const { sampler, probe } = spec
  const column = nodePowerColumn(probe)
  return {
    probe,
    method: sampler.method,
    // a reading the BMC averages and we poll about once a second: never 'high' (see methodology.md)
    confidence: 'medium',
    readEnergy: () => sampler.domains(),
    sample() {
      const w = sampler.powerW()
      return w === null ? {} : { [column]: w }
    },
    describe: () => ({
      ...spec.describe,
      method: sampler.method,
      polling_interval_ms: sampler.intervalMs,
      polling: 'in the background at the BMC\'s interval; every read returns the last answer at once (a BMC cannot be read in under a millisecond)',
      mean_round_trip_ms: sampler.meanRttMs(),
      counter_step_j: sampler.counterStepJ(),
      counter_moved: sampler.method === 'counter' ? sampler.counterMoved() : null,
      readings: sampler.readings,
    }),
    warnings: () => [...sampler.warnings(`${probe} node power`), ...(spec.warnings?.() ?? [])],
    coverage: (t0, t1) => sampler.coverage(t0, t1),
    async close() {
      await sampler.stop()
      await spec.close?.()
    },
  }
}
