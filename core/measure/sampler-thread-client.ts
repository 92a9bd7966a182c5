/**
 * The measured window's timeline, sampled on its own thread (sampler-thread.ts) where it can be, on
 * the event loop where it cannot. A thread is used unless a probe says it cannot be opened a second
 * time in one (`sampleInThread: false`), the thread opens a different set of probes than this
 * process did (then its window would not measure the same things), or its script is not built
 * (llem running from its TypeScript source). The choice and its reason go to the result.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads'
import type { ResolvedProbes } from '../config/defaults.js'
import { LlemError } from '../errors.js'
import { loadProbe } from '../plugins/load-plugins.js'
import type { ProbeSession } from '../probes/types.js'
import type { EnergySnapshot } from './probe-set.js'
import { clockOffsetMs, type SamplerThreadInit } from './sampler-thread.js'
import { Timeline, type TimelineRow } from './timeline.js'

export type SamplerKind = 'worker-thread' | 'event-loop'

/** an edge's read may spin 2.5 counter periods (aligned-edge.ts); far past that the thread is stuck */
const ANSWER_TIMEOUT_MS = 10_000
const OPEN_TIMEOUT_MS = 60_000

class ThreadTimeline extends Timeline {
  /** the thread's probe instances' warnings over the window */
  override threadWarnings: string[] = []
  /** per probe with background polling: why its readings do not cover the window, or null */
  coverage: Record<string, string | null> = {}

  constructor(
    private readonly worker: Worker,
    private readonly port: MessagePort,
    private readonly flag: Int32Array,
    /** add to a thread's time to get this thread's */
    private readonly shiftMs: number,
    onError: (message: string) => void,
  ) {
    super([], onError)
    const fail = (message: string) => {
      if (this.error || this.closing) return
      this.error = message
      onError(message)
    }
    worker.on('message', (m: { type: string; message?: string }) => m.type === 'error' && fail(m.message ?? 'the sampler thread failed'))
    // a thread that dies mid-window stops the load as a failed probe would
    worker.once('error', (e) => fail(`the sampler thread failed: ${e.message}`))
    worker.once('exit', (code) => fail(`the sampler thread exited (code ${code})`))
  }

  private closing = false

  private ask<T extends { type: string }>(cmd: object, expect: string): T {
    if (this.error) throw new LlemError('PROBE_FAILED', this.error)
    Atomics.store(this.flag, 0, 0)
    this.port.postMessage(cmd)
    if (Atomics.wait(this.flag, 0, 0, ANSWER_TIMEOUT_MS) === 'timed-out')
      throw new LlemError('PROBE_FAILED', `the sampler thread did not answer ${JSON.stringify(cmd)} within ${ANSWER_TIMEOUT_MS / 1000} s`)
    const got = receiveMessageOnPort(this.port)?.message as (T & { message?: string }) | undefined
    if (!got || got.type !== expect) throw new LlemError('PROBE_FAILED', `the sampler thread failed: ${got?.message ?? 'no answer'}`)
    return got
  }

  private shift(s: EnergySnapshot): EnergySnapshot {
    return { ...s, t: s.t + this.shiftMs }
  }

  override start(intervalMs: number): EnergySnapshot {
    return this.shift(this.ask<{ type: 'started'; snapshot: EnergySnapshot }>({ cmd: 'start', intervalMs }, 'started').snapshot)
  }

  override stop(): EnergySnapshot {
    const r = this.ask<{ type: 'stopped'; last: EnergySnapshot; energy: EnergySnapshot[]; rows: TimelineRow[]; peakRssMb: number; error: string | null; warnings: string[]; coverage: Record<string, string | null> }>({ cmd: 'stop' }, 'stopped')
    for (const e of r.energy) this.energy.push(this.shift(e))
    for (const row of r.rows) this.rows.push({ ...row, t: row.t + this.shiftMs })
    this.peakRssMb = r.peakRssMb
    this.error ??= r.error
    this.threadWarnings = r.warnings
    this.coverage = r.coverage
    return this.shift(r.last)
  }

  /** the window's sessions as the metrics see them: coverage answered by the thread's instances,
   *  which were the ones reading the window */
  override windowSessions(sessions: ProbeSession[]): ProbeSession[] {
    return sessions.map((s) => (s.coverage && s.probe in this.coverage ? Object.assign(Object.create(s) as ProbeSession, { coverage: () => this.coverage[s.probe] }) : s))
  }

  override async close(): Promise<void> {
    this.closing = true
    const closed = new Promise<void>((resolve) => {
      this.worker.on('message', (m: { type: string }) => m.type === 'closed' && resolve())
      this.worker.once('exit', () => resolve())
      setTimeout(resolve, 5000).unref()
    })
    this.port.postMessage({ cmd: 'close' })
    await closed
    await this.worker.terminate()
  }
}

export interface WindowTimeline {
  timeline: Timeline
  sampler: SamplerKind
  /** why the sampler runs on the event loop; null on its thread */
  reason: string | null
}

/**
 * The timeline for the measured window. `specs[i]` is the config name `sessions[i]` was opened by.
 */
export async function openWindowTimeline(a: { probes: ResolvedProbes; specs: string[]; sessions: ProbeSession[]; rootDir: string; log: (line: string) => void; onError: (message: string) => void }): Promise<WindowTimeline> {
  const onLoop = (reason: string): WindowTimeline => {
    a.log(`power sampler on the event loop: ${reason}`)
    return { timeline: new Timeline(a.sessions, a.onError), sampler: 'event-loop', reason }
  }
  if (a.sessions.length === 0) return onLoop('no probe to sample')
  for (const spec of a.specs) {
    const probe = await loadProbe(spec, a.rootDir)
    if (probe.sampleInThread === false) return onLoop(`probe ${spec} cannot be sampled from a worker thread (sampleInThread: false)`)
  }
  const script = fileURLToPath(new URL('./sampler-thread.js', import.meta.url))
  if (!existsSync(script)) return onLoop(`the sampler thread's script ${script} is not built (llem runs from its source)`)
  const { port1, port2 } = new MessageChannel()
  const flag = new SharedArrayBuffer(4)
  const init: SamplerThreadInit = { probes: Object.fromEntries(a.specs.map((k) => [k, a.probes[k]])) as ResolvedProbes, rootDir: a.rootDir, port: port2, flag }
  const worker = new Worker(script, { workerData: { llemSampler: init }, transferList: [port2] })
  worker.unref()
  const ready = await new Promise<{ type: string; probes?: string[]; unavailable?: Record<string, string>; clockOffsetMs?: number; message?: string }>((resolve) => {
    const timer = setTimeout(() => resolve({ type: 'failed', message: `no answer within ${OPEN_TIMEOUT_MS / 1000} s` }), OPEN_TIMEOUT_MS)
    worker.on('message', (m: { type: string; line?: string }) => {
      if (m.type === 'log') a.log(`sampler thread: ${m.line}`)
      else if (m.type === 'ready' || m.type === 'failed') {
        clearTimeout(timer)
        resolve(m)
      }
    })
    worker.once('error', (e) => resolve({ type: 'failed', message: e.message }))
  })
  const want = a.sessions.map((s) => s.probe)
  const got = ready.probes ?? []
  if (ready.type !== 'ready' || want.length !== got.length || want.some((p, i) => got[i] !== p)) {
    const why = ready.type !== 'ready'
      ? `the sampler thread failed to start: ${ready.message}`
      : `the sampler thread opened ${got.join(', ') || 'no probe'}, not ${want.join(', ')}${Object.keys(ready.unavailable ?? {}).length ? ` (${Object.entries(ready.unavailable!).map(([k, v]) => `${k}: ${v}`).join('; ')})` : ''}`
    port1.postMessage({ cmd: 'close' })
    await new Promise((r) => setTimeout(r, 100))
    await worker.terminate()
    return onLoop(why)
  }
  const flagView = new Int32Array(flag)
  return { timeline: new ThreadTimeline(worker, port1, flagView, clockOffsetMs() - ready.clockOffsetMs!, a.onError), sampler: 'worker-thread', reason: null }
}
