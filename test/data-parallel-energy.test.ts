/**
 * Data-parallel energy: every meter is counted once over the time it was measured. A host's CPU and
 * RAM counters are host-wide (processes on one host read the same joules; Slurm tasks on different
 * nodes read different ones), and a GPU two processes both saw (`devices: []`) is one GPU. The
 * scenarios draw constant power, so the truth is watts x the seconds of the union of the windows.
 */
import { describe, expect, it } from 'vitest'
import { aggregate } from '../core/results/aggregate.js'
import { rawProcess } from './fixtures/raw-process.js'

describe('host CPU and RAM energy, keyed by host', () => {
  it('one host, windows offset by 4 s: the host at 12 W over the 14 s union, not the larger reading', () => {
    // each window is 10 s of a 12 W package: 120 J each; the union [0, 14] is 168 J
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], cpuJ: 120 }), rawProcess({ index: 1, window: [4, 14], cpuJ: 120 })])
    expect(agg.total_energy_j).toBeCloseTo(12 * 14, 9)
    expect(agg.aggregation.warnings.join('\n')).toMatch(/pro-rated/)
  })

  it('one host, one window inside the other: the host energy is the outer reading', () => {
    // RAM at 3 W: [0, 10] reads 30 J, [2, 8] reads 18 J of the same joules
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], ramJ: 30 }), rawProcess({ index: 1, window: [2, 8], ramJ: 18 })])
    expect(agg.total_energy_j).toBeCloseTo(30, 9)
    expect(agg.aggregation.warnings.join('\n')).not.toMatch(/pro-rated/)
  })

  it('one node, tasks at different times (Slurm): both readings count, they cover different seconds', () => {
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], cpuJ: 120 }), rawProcess({ index: 1, window: [100, 110], cpuJ: 120 })])
    expect(agg.total_energy_j).toBeCloseTo(240, 9)
  })

  it('different nodes at the same time (Slurm): their host energies add up', () => {
    // node-a draws 10 W, node-b 8 W, both for the same 10 s
    const agg = aggregate([
      rawProcess({ index: 0, window: [0, 10], host: 'node-a', cpuJ: 100, ramJ: 20 }),
      rawProcess({ index: 1, window: [0, 10], host: 'node-b', cpuJ: 80, ramJ: 10 }),
    ])
    expect(agg.total_energy_j).toBeCloseTo(100 + 80 + 20 + 10, 9)
    expect(agg.aggregation.warnings.join('\n')).toContain('readings from different hosts are added')
  })

  it('two processes on one node and one on another: once within a host, summed across hosts', () => {
    const agg = aggregate([
      rawProcess({ index: 0, window: [0, 10], host: 'node-a', cpuJ: 100 }),
      rawProcess({ index: 1, window: [0, 10], host: 'node-a', cpuJ: 100 }),
      rawProcess({ index: 2, window: [0, 10], host: 'node-b', cpuJ: 80 }),
    ])
    expect(agg.total_energy_j).toBeCloseTo(180, 9)
  })

  it('a process without a hostname: host energy cannot be attributed, so no total', () => {
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], host: null, cpuJ: 100 }), rawProcess({ index: 1, window: [0, 10], cpuJ: 100 })])
    expect(agg.total_energy_j).toBeNull()
    expect(agg.avg_energy_per_token_j).toBeNull()
    expect(agg.aggregation.warnings.join('\n')).toContain('hostname is unknown')
  })
})

describe('a GPU measured by two processes is counted once', () => {
  it('devices: [] with both processes seeing both GPUs, same window: each GPU once', () => {
    // GPU-A draws 30 W and GPU-B 50 W for 10 s: 300 J + 500 J, read by both processes
    const gpus = { 'GPU-A': 300, 'GPU-B': 500 }
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], gpus }), rawProcess({ index: 1, window: [0, 10], gpus })])
    expect(agg.total_energy_j).toBeCloseTo(800, 9)
    expect(agg.aggregation.gpu_attribution_verified).toBe(false)
    expect(agg.aggregation.warnings.join('\n')).toContain('counted once')
  })

  it('offset windows: each GPU over the union of the windows that read it', () => {
    // [0, 10] and [5, 15] both read GPU-A at 30 W (300 J each); the union is 15 s: 450 J.
    // GPU-B (50 W) belongs to process 1 alone: its 500 J count whole
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], gpus: { 'GPU-A': 300 } }), rawProcess({ index: 1, window: [5, 15], gpus: { 'GPU-A': 300, 'GPU-B': 500 } })])
    expect(agg.total_energy_j).toBeCloseTo(450 + 500, 9)
  })

  it('GPUs of their own add up as before', () => {
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], gpus: { 'GPU-A': 300 } }), rawProcess({ index: 1, window: [3, 13], gpus: { 'GPU-B': 500 } })])
    expect(agg.total_energy_j).toBeCloseTo(800, 9)
    expect(agg.aggregation.gpu_attribution_verified).toBe(true)
  })

  it('a shared GPU whose per-device reading is missing: no GPU energy, no total, rather than counting it twice', () => {
    const p0 = rawProcess({ index: 0, window: [0, 10], gpus: { 'GPU-A': 300 } })
    const p1 = rawProcess({ index: 1, window: [0, 10], gpus: { 'GPU-A': 300 } })
    p1.energy_per_device_j = {}
    const agg = aggregate([p0, p1])
    expect(agg.total_energy_j).toBeNull()
    expect(agg.aggregation.warnings.join('\n')).toContain('cannot be split by device')
  })
})

describe('shared host energy, flagged per process', () => {
  it('tasks on two nodes each overlapping a different experiment: the result names both neighbours', () => {
    // node-a's task shared its host with experiment "x", node-b's with "y": both overlaps are facts of this experiment
    const a = { ...rawProcess({ index: 0, window: [0, 10], host: 'node-a', cpuJ: 100 }), shared_energy: { components: ['cpu'], with_experiments: ['x'] } }
    const b = { ...rawProcess({ index: 1, window: [0, 10], host: 'node-b', cpuJ: 80, ramJ: 10 }), shared_energy: { components: ['cpu', 'ram'], with_experiments: ['y'] } }
    const agg = aggregate([a, b])
    expect(agg.shared_energy).toEqual({ components: ['cpu', 'ram'], with_experiments: ['x', 'y'] })
  })

  it('no process shared its host: null', () => {
    const agg = aggregate([rawProcess({ index: 0, window: [0, 10], cpuJ: 100 }), rawProcess({ index: 1, window: [0, 10], cpuJ: 100 })])
    expect(agg.shared_energy).toBeNull()
  })
})
