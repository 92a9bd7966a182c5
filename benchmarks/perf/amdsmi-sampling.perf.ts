/**
 * AMD SMI costs, measured through koffi against the fake libamd_smi (test/fixtures/fake-amdsmi; no
 * GPU here, so the library's own time, a sysfs read of gpu_metrics on real hardware, is not in these
 * numbers, only llem's and koffi's): one energy-counter read (target median < 2 us, well under the
 * millisecond the issue allows) and the probe's timeline sampling every 10 ms (target < 1% of one
 * core over the timeline's own floor, measured beside it).
 */
import { amdsmiProbe } from '../../plugins/probes/amdsmi/index.js'
import { AmdSmi } from '../../plugins/probes/amdsmi/amdsmi.js'
import { fakeAmdSmiLibrary, writeFakeAmdSmiConfig } from '../../test/fixtures/fake-amdsmi/build.js'
import { samplingCost } from './sampling-cost.js'
import { median } from './util.js'

export async function amdsmiCosts(devices = 8, seconds = 3) {
  const library = fakeAmdSmiLibrary()
  process.env.FAKE_AMDSMI_CONFIG = writeFakeAmdSmiConfig(Array.from({ length: devices }, (_, i) => `gpu name="Perf MI300X" socket=${i} period_ms=1 idle_w=140\npower ${i} 0 inf 600`).join('\n'))
  const smi = AmdSmi.open(library)
  const h = smi.processors()[0].handle
  const samples: number[] = []
  for (let i = 0; i < 100_000; i++) {
    const t0 = process.hrtime.bigint()
    smi.energyCount(h)
    samples.push(Number(process.hrtime.bigint() - t0))
  }
  smi.shutdown()
  const readUs = median(samples) / 1000
  const session = await amdsmiProbe.open({ library })
  const cost = await samplingCost([session], seconds)
  await session.close()
  return { counter_read_median_us: readUs, timeline_floor_cpu_pct: cost.floor_pct, timeline_with_amdsmi_cpu_pct: cost.with_pct, sampler_cpu_pct: cost.added_pct, whole_process_difference_cpu_pct: cost.difference_pct, window_edges_cpu_ms: cost.edge_ms, devices, samples_taken: cost.rows, pass: readUs < 2 && cost.added_pct < 1 }
}
