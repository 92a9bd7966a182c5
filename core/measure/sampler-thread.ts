/**
 * The power sampler's own thread (a worker_threads entry; sampler-thread-client.ts starts it). It
 * opens its own instances of the experiment's probes and samples them on its own event loop, so a
 * client holding the main loop (thousands of streams parsing SSE) cannot make a sample late. It
 * reads the whole measured window: the aligned first read, every periodic sample and the closing
 * read, all from the same probe instances, so the window's energy and its timeline share one zero
 * (a second instance of a counter probe starts from its own zero; mixing the two would be wrong).
 *
 * The main thread asks for the window's start and end synchronously (Atomics.wait on a shared flag,
 * the answer taken with receiveMessageOnPort): the edges are exact moments the load waits on, and the
 * spin that aligns an edge with the counter's update runs here, off the client's loop.
 */
import { performance } from 'node:perf_hooks'
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import type { ResolvedProbes } from '../config/defaults.js'
import { openProbes } from './probe-set.js'
import { Timeline } from './timeline.js'
import type { EnergySnapshot } from './probe-set.js'

export interface SamplerThreadInit {
  probes: ResolvedProbes
  rootDir: string
  port: MessagePort
  /** Int32Array(1): set to 1 and notified when an answer to start/stop is on the port */
  flag: SharedArrayBuffer
}

/** performance.now() minus the process-wide monotonic clock: each thread's performance clock has its
 *  own origin, and the difference of two threads' offsets converts one's times into the other's */
export function clockOffsetMs(): number {
  return performance.now() - Number(process.hrtime.bigint()) / 1e6
}

async function main(init: SamplerThreadInit): Promise<void> {
  const parent = parentPort!
  const flag = new Int32Array(init.flag)
  const answer = (msg: unknown) => {
    init.port.postMessage(msg)
    Atomics.store(flag, 0, 1)
    Atomics.notify(flag, 0)
  }
  const open = await openProbes(init.probes, (line) => parent.postMessage({ type: 'log', line }), init.rootDir)
  let timeline: Timeline | undefined
  let first: EnergySnapshot | undefined
  init.port.on('message', (m: { cmd: 'start'; intervalMs: number } | { cmd: 'stop' } | { cmd: 'close' }) => {
    if (m.cmd === 'start') {
      timeline = new Timeline(open.sessions, (message) => parent.postMessage({ type: 'error', message }))
      try {
        first = timeline.start(m.intervalMs, { precise: true })
        answer({ type: 'started', snapshot: first })
      } catch (e) {
        answer({ type: 'failed', message: e instanceof Error ? e.message : String(e) })
      }
    } else if (m.cmd === 'stop') {
      const last = timeline!.stop()
      const sessions = open.sessions
      // a background poller (a BMC) answers for its own readings: whether they cover this window
      const coverage = Object.fromEntries(sessions.filter((s) => s.coverage).map((s) => [s.probe, first && last ? s.coverage!(first.t, last.t) : null]))
      answer({ type: 'stopped', last, energy: timeline!.energy, rows: timeline!.rows, peakRssMb: timeline!.peakRssMb, error: timeline!.error, warnings: sessions.flatMap((s) => s.warnings()), coverage })
    } else if (m.cmd === 'close') {
      // a close() that throws at once is caught as one that rejects: the other probes still close
      void Promise.all(open.sessions.map((s) => new Promise<void>((done) => done(s.close())).catch(() => {}))).then(() => {
        parent.postMessage({ type: 'closed' })
        init.port.close()
      })
    }
  })
  parent.postMessage({ type: 'ready', probes: open.sessions.map((s) => s.probe), unavailable: open.unavailable, clockOffsetMs: clockOffsetMs() })
}

if (parentPort && workerData?.llemSampler) {
  main(workerData.llemSampler as SamplerThreadInit).catch((e) => parentPort!.postMessage({ type: 'failed', message: e instanceof Error ? e.message : String(e) }))
}
