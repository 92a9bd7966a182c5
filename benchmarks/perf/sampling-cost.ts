/**
 * What a probe costs while it samples: a Timeline reading it every 10 ms, the time spent in the
 * probe's calls in % of one core, beside the whole process's CPU with the same Timeline and no probe
 * (timer wake-ups, RSS reads: the floor) and with the probe.
 *
 * Measured between start() and stop(), the steady sampling a run pays for as long as it lasts. The
 * window's two edge reads are timed apart: with an energy counter each waits, spinning, for the
 * counter's next update (core/measure/aligned-edge.ts), up to a few update periods once per window
 * (tens of ms with NVML's ~20 ms counter), which a 3 s benchmark window would otherwise spread over
 * its 300 samples as if each sample cost it.
 */
import { performance } from 'node:perf_hooks'
import { Timeline } from '../../core/measure/timeline.js'
import type { ProbeSession } from '../../core/probes/types.js'
import { median } from './util.js'

const cpuMs = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since)
  return (c.user + c.system) / 1000
}

/**
 * A session whose calls add up the time spent in them while `acc.on`. Wall time: the calls are
 * synchronous, so it is on-CPU time plus whatever the machine took the core away for mid-call (an
 * upper bound). Not getrusage around each call: on this VM that syscall, right after a timer
 * wake-up, added ~40 µs to a 5 µs busy loop timed that way (300 calls every 10 ms: 13.3 ms where
 * 1.5 ms were spent; wall time gave 4.8 ms).
 */
function timed(session: ProbeSession, acc: { ms: number; on: boolean }): ProbeSession {
  return new Proxy(session, {
    get(target, key, receiver) {
      const v = Reflect.get(target, key, receiver) as unknown
      if (typeof v !== 'function') return v
      return (...args: unknown[]) => {
        if (!acc.on) return v.apply(target, args) as unknown
        const t0 = performance.now()
        try {
          return v.apply(target, args) as unknown
        } finally {
          acc.ms += performance.now() - t0
        }
      }
    },
  })
}

/**
 * One window: the whole process's CPU while it samples, in % of one core; the time spent inside the
 * probe's own calls (readEnergy, sample) in % of the window's wall time; the CPU ms of the start and
 * end reads together.
 */
export async function timelineCpu(sessions: ProbeSession[], seconds: number, intervalMs = 10) {
  const acc = { ms: 0, on: false }
  const timeline = new Timeline(sessions.map((s) => timed(s, acc)))
  const e0 = process.cpuUsage()
  timeline.start(intervalMs)
  let edgeMs = cpuMs(e0)
  const cpu0 = process.cpuUsage()
  const wall0 = performance.now()
  acc.on = true
  await new Promise((r) => setTimeout(r, seconds * 1000))
  acc.on = false
  const wall = performance.now() - wall0
  const pct = (cpuMs(cpu0) / wall) * 100
  const e1 = process.cpuUsage()
  timeline.stop()
  edgeMs += cpuMs(e1)
  return { pct, in_probe_pct: (acc.ms / wall) * 100, edge_ms: edgeMs, rows: timeline.rows.length }
}

/**
 * Windows with no probe and with `sessions` alternated `rounds` times, `seconds` in all for each, so
 * other load on the machine falls on both alike. What the probe adds is the time inside its calls
 * (they are synchronous: FFI calls, sysfs reads), where the difference of the two windows' whole-process
 * CPU is a small number taken from two noisy ones (timer wake-ups on a shared machine move the floor
 * by a percent or two between windows); that difference is reported beside it. Calls made once per
 * 10 ms find cold caches: each costs several times what the same call costs in a tight loop.
 */
export async function samplingCost(sessions: ProbeSession[], seconds: number, rounds = 3) {
  const floor: number[] = []
  const withProbe: number[] = []
  const inProbe: number[] = []
  const difference: number[] = []
  const edges: number[] = []
  let rows = 0
  for (let i = 0; i < rounds; i++) {
    const f = await timelineCpu([], seconds / rounds)
    const w = await timelineCpu(sessions, seconds / rounds)
    floor.push(f.pct)
    withProbe.push(w.pct)
    inProbe.push(w.in_probe_pct)
    difference.push(w.pct - f.pct)
    edges.push(w.edge_ms)
    rows += w.rows
  }
  return { floor_pct: median(floor), with_pct: median(withProbe), added_pct: median(inProbe), difference_pct: median(difference), edge_ms: median(edges), rows }
}
