/**
 * AMD SMI costs, measured through koffi against the fake libamd_smi (test/fixtures/fake-amdsmi; no
 * GPU here, so the library's own time, a sysfs read of gpu_metrics on real hardware, is not in these
 * numbers, only llem's and koffi's): one energy-counter read (target median < 2 us, well under the
 * millisecond the issue allows) and the probe's timeline sampling every 10 ms (target < 1% of one
 * core over the timeline's own floor, measured beside it).
 */
import { performance } from 'node:perf_hooks'
import { Timeline } from '../../core/measure/timeline.js'
import type { ProbeSession } from '../../core/probes/types.js'
import { amdsmiProbe } from '../../plugins/probes/amdsmi/index.js'
import { AmdSmi } from '../../plugins/probes/amdsmi/amdsmi.js'
import { fakeAmdSmiLibrary, writeFakeAmdSmiConfig } from '../../test/fixtures/fake-amdsmi/build.js'
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
  const floor = await timelineCpuPct([], seconds)
  const session = await amdsmiProbe.open({ library })
  const withProbe = await timelineCpuPct([session], seconds)
  await session.close()
  const added = withProbe.pct - floor.pct
  return { counter_read_median_us: readUs, timeline_floor_cpu_pct: floor.pct, timeline_with_amdsmi_cpu_pct: withProbe.pct, sampler_cpu_pct: added, devices, samples_taken: withProbe.rows, pass: readUs < 2 && added < 1 }
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
