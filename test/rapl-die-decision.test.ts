/**
 * Whether the die zones of a package are one counter published per die or one counter each, decided
 * from what the counters read back to back (scripted reads here; the fake trees are in
 * rapl-multi-die.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { decideDieCounters } from '../plugins/probes/rapl-dies.js'
import type { RaplZone } from '../plugins/probes/rapl.js'

describe('deciding whether die zones share one counter', () => {
  const zone = (id: string): RaplZone => ({ id, zone: id, path: id, name: id, kind: 'cpu', parent: null, contained_in: null, max_energy_range_uj: 1e12, wrap_ceiling_w: 500 })
  const slot = { package: 'package-0', domain: 'package', zones: [zone('package-0-die-0'), zone('package-0-die-1')] }

  it('a counter update landing between the two reads of one round does not make one counter two', () => {
    // one counter read twice per round; in round 1 it ticked by 1000 µJ between the reads
    const reads = [100_000, 101_000, 101_000, 101_000]
    const decision = decideDieCounters(slot, () => reads.shift()!)
    expect(decision.counters).toBe('shared')
    expect(decision.decided_by).toMatch(/\(101000\) when read back to back \(round 2 of/)
  })

  it('a die whose counter cannot be read is never taken for a copy', () => {
    const decision = decideDieCounters(slot, (z) => (z.id.endsWith('1') ? 'energy_uj is not readable (EACCES)' : 100), 3)
    expect(decision.counters).toBe('per_die')
    expect(decision.counted).toEqual(['package-0-die-0', 'package-0-die-1'])
  })
})
