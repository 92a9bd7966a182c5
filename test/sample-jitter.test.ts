/**
 * The power sampler's own timing is reported: its timer shares the event loop with the load's client,
 * so a client that holds the loop makes samples late. The figure is p99 of |gap - interval| between
 * consecutive timeline rows; the truth is the gaps the scenario makes (rows placed by hand, or a loop
 * blocked for a known 200 ms while a real Timeline samples every 10 ms).
 */
import { describe, expect, it } from 'vitest'
import { longestSampleGap, sampleJitterP99, Timeline } from '../core/measure/timeline.js'
import type { ProbeSession } from '../core/probes/types.js'

const rowsAt = (ts: number[]) => ts.map((t) => ({ t, values: {} }))

describe('sampler jitter', () => {
  it('rows exactly on the interval: no jitter; fewer than two rows: none to report', () => {
    expect(sampleJitterP99(rowsAt([0, 10, 20, 30, 40]), 10)).toBe(0)
    expect(sampleJitterP99(rowsAt([5]), 10)).toBeNull()
  })

  it('a window shorter than one interval: its start and closing reads only, no timer gap, nothing to report', () => {
    // the closing read is the load's end, not the timer's: 40 ms after the start of a 100 ms interval
    const edges = [{ t: 0, values: {}, edge: 'start' as const }, { t: 40, values: {}, edge: 'end' as const }]
    expect(sampleJitterP99(edges, 100)).toBeNull()
    expect(longestSampleGap(edges)).toBeNull()
    // with timer samples, the closing read's gap still does not count
    const timed = [{ t: 0, values: {}, edge: 'start' as const }, { t: 100, values: {} }, { t: 200, values: {} }, { t: 230, values: {}, edge: 'end' as const }]
    expect(sampleJitterP99(timed, 100)).toBe(0)
    expect(longestSampleGap(timed)).toBe(100)
  })

  it('late samples move the p99 once they are more than 1% of the gaps', () => {
    // 200 gaps on time and one 200 ms late: under 1% of the gaps, so the p99 (linear interpolation at
    // rank 0.99 x 200 = 198 of the sorted deviations) is still 0
    const one = Array.from({ length: 201 }, (_, i) => i * 10)
    one.push(one[one.length - 1] + 210)
    expect(sampleJitterP99(rowsAt(one), 10)).toBe(0)
    // 97 gaps on time, then gaps of 60, 50 and 50 ms (50, 40, 40 ms off): rank 0.99 x 99 = 98.01 lies
    // between the sorted deviations 40 and 50, so the p99 is 40.1 ms
    const late = Array.from({ length: 98 }, (_, i) => i * 10)
    const last = late[late.length - 1]
    late.push(last + 60, last + 110, last + 160)
    expect(sampleJitterP99(rowsAt(late), 10)).toBeCloseTo(40.1, 9)
  })

  it('a real Timeline at 10 ms with the loop held for 200 ms: the jitter reported is about the 190 ms lost', async () => {
    const session: ProbeSession = {
      probe: 'scripted', method: 'counter', confidence: 'high',
      readEnergy: () => [{ domain: 'd', kind: 'gpu', energy_j: 0 }],
      sample: () => ({}), describe: () => ({}), warnings: () => [], close() {},
    }
    const timeline = new Timeline([session])
    timeline.start(10)
    await new Promise((r) => setTimeout(r, 50))
    const until = performance.now() + 200
    while (performance.now() < until) {
      /* the client's work, holding the loop */
    }
    await new Promise((r) => setTimeout(r, 50))
    timeline.stop()
    const gaps = timeline.rows.slice(1).map((r, i) => r.t - timeline.rows[i].t)
    const worst = gaps.reduce((a, b) => Math.max(a, b), 0)
    expect(worst).toBeGreaterThanOrEqual(195)
    // ~30 gaps, one of ~200 ms: the p99 (interpolated between the two largest) is most of its excess
    expect(sampleJitterP99(timeline.rows, 10)).toBeGreaterThan(100)
  })
})
