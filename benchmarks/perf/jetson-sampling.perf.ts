/**
 * The jetson probe's costs on a fake sysfs tree (test/fixtures/fake-jetson.ts; tmpfs-backed /tmp,
 * not the real sysfs of an INA3221, so the driver's own I2C time is not in these numbers): one read
 * of every rail (target median well under 1 ms) and the timeline sampling every 10 ms (target < 1% of
 * one core over the timeline alone, measured side by side as for NVML).
 */
import { jetsonProbe } from '../../plugins/probes/jetson/index.js'
import { createFakeJetson, type FakeJetsonBoard } from '../../test/fixtures/fake-jetson.js'
import { samplingCost } from './sampling-cost.js'
import { median } from './util.js'

export async function jetsonCosts(board: FakeJetsonBoard, seconds = 3) {
  const fake = createFakeJetson(board)
  try {
    const session = await jetsonProbe.open({ root: fake.root })
    const samples: number[] = []
    for (let i = 0; i < 5_000; i++) {
      const t0 = process.hrtime.bigint()
      session.readEnergy()
      samples.push(Number(process.hrtime.bigint() - t0))
    }
    const readUs = median(samples) / 1000
    const cost = await samplingCost([session], seconds)
    await session.close()
    return { board, rails: fake.rails.length, read_all_rails_median_us: readUs, timeline_floor_cpu_pct: cost.floor_pct, timeline_with_jetson_cpu_pct: cost.with_pct, sampler_cpu_pct: cost.added_pct, whole_process_difference_cpu_pct: cost.difference_pct, window_edges_cpu_ms: cost.edge_ms, samples_taken: cost.rows, pass: readUs < 1000 && cost.added_pct < 1 }
  } finally {
    fake.cleanup()
  }
}
