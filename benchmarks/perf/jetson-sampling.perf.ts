/**
 * The jetson probe's costs on a fake sysfs tree (test/fixtures/fake-jetson.ts; tmpfs-backed /tmp,
 * not the real sysfs of an INA3221, so the driver's own I2C time is not in these numbers): one read
 * of every rail (target median well under 1 ms) and the timeline sampling every 10 ms (target < 1% of
 * one core over the timeline alone, measured side by side as for NVML).
 */
import { performance } from 'node:perf_hooks'
import { Timeline } from '../../core/measure/timeline.js'
import type { ProbeSession } from '../../core/probes/types.js'
import { jetsonProbe } from '../../plugins/probes/jetson/index.js'
import { createFakeJetson, type FakeJetsonBoard } from '../../test/fixtures/fake-jetson.js'
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
    const floor = await timelineCpuPct([], seconds)
    const withJetson = await timelineCpuPct([session], seconds)
    await session.close()
    const added = withJetson.pct - floor.pct
    return { board, rails: fake.rails.length, read_all_rails_median_us: readUs, timeline_floor_cpu_pct: floor.pct, timeline_with_jetson_cpu_pct: withJetson.pct, sampler_cpu_pct: added, samples_taken: withJetson.rows, pass: readUs < 1000 && added < 1 }
  } finally {
    fake.cleanup()
  }
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
