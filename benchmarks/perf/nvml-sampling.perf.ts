/**
 * NVML costs, measured through koffi against the fake libnvidia-ml (test/fixtures/fake-nvml; no GPU
 * here, so the driver's own time is not in these numbers, only llem's and koffi's):
 * one energy-counter read (target median < 2 us) and the probe timeline sampling every 10 ms
 * (target < 1% of one core: the CPU time the probe adds to the timeline, over wall time; the
 * timeline's own timer wake-ups are measured beside it and reported as the floor).
 */
import { nvmlProbe } from '../../plugins/probes/nvml/index.js'
import { Nvml } from '../../plugins/probes/nvml/nvml.js'
import { fakeNvmlLibrary, writeFakeNvmlConfig } from '../../test/fixtures/fake-nvml/build.js'
import { samplingCost } from './sampling-cost.js'
import { median } from './util.js'

/** superchip: every device a GH200, whose module-scope power is read at each sample as well */
export async function nvmlCosts(devices = 8, seconds = 3, superchip = false) {
  const lib = fakeNvmlLibrary('current')
  const device = (i: number) => (superchip ? `device uuid=GPU-perf-${i} name="NVIDIA GH200 480GB" arch=9 period_ms=20 idle_w=70 module_extra_w=150` : `device uuid=GPU-perf-${i} name="Perf GPU" arch=9 period_ms=20 idle_w=70`)
  process.env.FAKE_NVML_CONFIG = writeFakeNvmlConfig(Array.from({ length: devices }, (_, i) => `${device(i)}\npower ${i} 0 inf 300`).join('\n'))
  const nvml = Nvml.open(lib)
  const h = nvml.handleByIndex(0)
  const samples: number[] = []
  for (let i = 0; i < 100_000; i++) {
    const t0 = process.hrtime.bigint()
    nvml.totalEnergyMj(h)
    samples.push(Number(process.hrtime.bigint() - t0))
  }
  nvml.shutdown()
  const readUs = median(samples) / 1000

  // the timeline alone (timer wake-ups, RSS, bookkeeping) is the floor on this machine; the probe's
  // cost is what it adds on top, measured side by side
  const session = await nvmlProbe.open({ library: lib })
  const cost = await samplingCost([session], seconds)
  await session.close()
  return { superchip, counter_read_median_us: readUs, timeline_floor_cpu_pct: cost.floor_pct, timeline_with_nvml_cpu_pct: cost.with_pct, sampler_cpu_pct: cost.added_pct, whole_process_difference_cpu_pct: cost.difference_pct, window_edges_cpu_ms: cost.edge_ms, devices, samples_taken: cost.rows, pass: readUs < 2 && cost.added_pct < 1 }
}
