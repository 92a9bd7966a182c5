/**
 * NVML costs, measured through koffi against the fake libnvidia-ml (test/fixtures/fake-nvml; no GPU
 * here, so the driver's own time is not in these numbers, only llem's and koffi's):
 * one energy-counter read (target median < 2 us) and the probe timeline sampling every 10 ms
 * (target < 1% of one core: the CPU time the probe adds to the timeline, over wall time; the
 * timeline's own timer wake-ups are measured beside it and reported as the floor).
 */
import { performance } from 'node:perf_hooks'
import { Timeline } from '../../core/measure/timeline.js'
import type { ProbeSession } from '../../core/probes/types.js'
import { nvmlProbe } from '../../plugins/probes/nvml/index.js'
import { Nvml } from '../../plugins/probes/nvml/nvml.js'
import { fakeNvmlLibrary, writeFakeNvmlConfig } from '../../test/fixtures/fake-nvml/build.js'
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
  const floor = await timelineCpuPct([], seconds)
  const session = await nvmlProbe.open({ library: lib })
  const withNvml = await timelineCpuPct([session], seconds)
  await session.close()
  const added = withNvml.pct - floor.pct
  return { superchip, counter_read_median_us: readUs, timeline_floor_cpu_pct: floor.pct, timeline_with_nvml_cpu_pct: withNvml.pct, sampler_cpu_pct: added, devices, samples_taken: withNvml.rows, pass: readUs < 2 && added < 1 }
}

async function timelineCpuPct(sessions: ProbeSession[], seconds: number) {
  const timeline = new Timeline(sessions)
  const cpu0 = process.cpuUsage()
  const wall0 = performance.now()
  timeline.start(10)
  await new Promise((r) => setTimeout(r, seconds * 1000))
  timeline.stop()
  const cpu = process.cpuUsage(cpu0)
  const wall = performance.now() - wall0
  return { pct: ((cpu.user + cpu.system) / 1000 / wall) * 100, rows: timeline.rows.length }
}
