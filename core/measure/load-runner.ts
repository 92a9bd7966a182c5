/**
 * Drives the backend with the load pattern and times every token. Closed loop: `concurrency` requests
 * in flight, each finished request replaced by the next. Open loop (`rate`): requests sent at gamma-
 * distributed arrival times (vLLM's method), `concurrency` caps how many are in flight. The hot path
 * only pushes performance.now() values; all statistics are computed after the window closes.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import type { BackendSession, ThreadLoopDelay } from '../backends/types.js'
import { InputError } from '../errors.js'
import type { DatasetPrompt } from '../workload/dataset.js'
import { arrivalOffsetsMs } from '../workload/arrivals.js'
import { runConversation, type ThinkTimeSpec, type TurnOutcome, type TurnRequest } from './conversation-runner.js'
import { SaturationWatch, type SaturationVerdict } from './saturation.js'

export interface RequestTiming {
  index: number
  promptId: number
  /** absolute performance.now() values */
  start: number
  end: number
  /**
   * open loop: when the arrival schedule meant to send it (absolute). A request that finds
   * load.concurrency requests in flight waits in the client until one finishes, so start - scheduled is
   * its client queue time; timing from `start` alone would hide that wait (coordinated omission).
   * Absent or null in closed loop, where a request is sent when its lane is free: there is no schedule.
   */
  scheduled?: number | null
  /** open loop: it found the concurrency cap full and waited for a slot */
  waitedForCap?: boolean
  /** one entry per chunk of tokens: its arrival time and how many tokens it carried */
  chunkTimes: number[]
  chunkCounts: number[]
  inputTokens: number
  outputTokens: number
  /** the output length asked of the backend (max tokens): the prompt's own (dataset.outputTokens) or generation.maxTokens */
  requestedOutputTokens?: number
  /** the shared prefix the prompt began with (dataset.synthetic.prefix) */
  prefixId?: number
  /** prompt tokens the server took from its prefix cache, as it reported them */
  cachedInputTokens?: number
  ok: boolean
  error: string | null
  /** a conversation's turn (1-based; `index` is then the conversation's) and the think time before it */
  turn?: number
  thinkMs?: number
}

/** the event-loop delay histogram's sampling timer (ms): its finest setting */
export const LOOP_DELAY_RESOLUTION_MS = 1

export interface LoadPlan {
  concurrency: number
  rate: number | 'inf' | null
  burstiness: number
  /** total requests to send */
  requests: number
  /** stop sending after this many ms (null: no limit) */
  durationMs: number | null
  /** keep sending past `requests`, cycling the prompts, until this many ms have passed (0 or absent:
   *  stop at `requests`); durationMs still ends the load */
  minWindowMs?: number
  seed: number
  /** linear ramp-up (ms): lanes start one after another, or the arrival rate rises from 0 */
  rampUpMs?: number
  /** output length for prompts that set none of their own */
  maxTokens: number
  /** data parallel: this process sends requests shard.index, shard.index + shard.count, ... */
  shard?: { index: number; count: number }
  /** conversations (prompts with turns): the pause between a reply and the next turn */
  thinkTimeMs?: ThinkTimeSpec
  /** trace replay: when each request is due (ms after the window opens), by request number; replaces
   *  the drawn arrivals (open loop, concurrency still caps what is in flight) */
  arrivalsMs?: number[]
  /** open loop at a finite rate: stop sending once the server is over-saturated, judged over this many
   *  seconds (saturation.ts); absent or null: never stop for it */
  saturationWindowSec?: number | null
  /** load.clientThreads, resolved: the client's streams run on this many worker threads (absent or 1:
   *  on this thread); the schedule above stays here either way */
  clientThreads?: number
  /** how that count was chosen (load.clientThreads 'auto'), kept with the outcome; given (load.clientThreads
   *  set), the outcome records the count even when it is 1 */
  clientThreadsReason?: string
}

export interface LoadOutcome {
  requests: RequestTiming[]
  windowStart: number
  windowEnd: number
  /** how late this process's event loop ran its callbacks during the load (ms): every token stamp is
   *  taken on that loop, so a stamp can be late by this much; absent when not measured */
  clientLoopDelay?: { p50_ms: number; p99_ms: number; max_ms: number; utilisation: number } | null
  /** the over-saturation check's verdict; absent or null when it was not on (closed loop, rate 'inf') */
  saturation?: SaturationVerdict | null
  /** the client threads the streams ran on (load.clientThreads set, or > 1), how the count was chosen,
   *  and each one's event-loop delay over the window (null: not measured; none on one thread, the main
   *  one); clientLoopDelay is then the worst of them and this thread */
  clientThreads?: { count: number; reason: string; loopDelay: (ThreadLoopDelay | null)[] } | null
}

export async function runLoad(
  session: BackendSession,
  prompts: DatasetPrompt[],
  plan: LoadPlan,
  hooks: { onRequestDone?: (done: number) => void; signal?: AbortSignal } = {},
): Promise<LoadOutcome> {
  const results: RequestTiming[] = []
  const threadCount = plan.clientThreads ?? 1
  if (threadCount > 1 && !session.startClientThreads) throw new InputError('BENCH_INVALID', `load.clientThreads = ${threadCount}: this backend's client cannot run on worker threads (only openai, server, vllm and trtllm, whose client is llem's HTTP streaming client); set load.clientThreads to 1`)
  // started before the window: a thread's start-up (tens of ms) is not part of the load
  const threads = threadCount > 1 ? await session.startClientThreads!(threadCount) : null
  // the loop's own lateness while it stamps tokens (1 ms resolution: the finest the histogram samples)
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
  loopDelay.enable()
  // and how much of the window it spent working rather than waiting for I/O: near 1, the client itself
  // is the bottleneck; near 0, any lateness came from elsewhere on the machine
  const elu0 = performance.eventLoopUtilization()
  // one listener on the run's signal, however many requests are in flight: each request gets its own
  // signal, aborted from here (listeners piled on one shared signal trip Node's leak warning past 10)
  const inFlightAborts = new Set<AbortController>()
  const abortAll = () => {
    for (const c of inFlightAborts) c.abort()
  }
  hooks.signal?.addEventListener('abort', abortAll, { once: true })
  const windowStart = performance.now()
  threads?.measure()
  const deadline = plan.durationMs === null ? Infinity : windowStart + plan.durationMs
  const minUntil = windowStart + (plan.minWindowMs ?? 0)
  const shard = plan.shard ?? { index: 0, count: 1 }
  let next = shard.index
  // a backend error marked fatal (its server died) ends the load: later requests could only fail
  let fatal: unknown = null
  // open loop at a finite rate with the check on: judges the window while it runs (saturation.ts)
  let watch = null as SaturationWatch | null
  const take = (): number | null => {
    if (fatal !== null || performance.now() >= deadline || hooks.signal?.aborted || watch?.saturated) return null
    // past the requests asked for only while the window is shorter than measurement.minWindowSec
    if (next >= plan.requests && performance.now() >= minUntil) return null
    const i = next
    next += shard.count
    return i
  }
  const runOne = async (index: number, schedule?: { scheduled: number; waitedForCap: boolean }, turn?: TurnRequest): Promise<TurnOutcome> => {
    const prompt = prompts[index % prompts.length]
    const maxTokens = (turn ? turn.maxTokens : prompt.maxTokens) ?? plan.maxTokens
    const timing: RequestTiming = { index, promptId: prompt.id, start: performance.now(), end: 0, chunkTimes: [], chunkCounts: [], inputTokens: 0, outputTokens: 0, requestedOutputTokens: session.task === 'embeddings' ? undefined : maxTokens, ...(prompt.prefixId !== undefined ? { prefixId: prompt.prefixId } : {}), ok: true, error: null, ...schedule, ...(turn ? { turn: turn.turn, thinkMs: turn.thinkMs } : {}) }
    let reply: string | undefined
    const sink = {
      onTokens(count: number, timeMs: number) {
        if (timing.chunkTimes.length === 0 && schedule) watch?.noteFirstToken(schedule.scheduled, timeMs)
        timing.chunkTimes.push(timeMs)
        timing.chunkCounts.push(count)
      },
    }
    const abort = new AbortController()
    if (hooks.signal?.aborted) abort.abort()
    inFlightAborts.add(abort)
    try {
      const r = await session.generate(turn ? { prompt: turn.text, maxTokens, signal: abort.signal, messages: turn.messages } : { prompt: prompt.text, maxTokens, signal: abort.signal }, sink)
      if (r.endMs !== undefined) timing.end = r.endMs
      reply = r.text
      timing.inputTokens = r.inputTokens
      timing.outputTokens = r.outputTokens
      if (r.cachedInputTokens !== undefined) timing.cachedInputTokens = r.cachedInputTokens
      if (r.finishReason === 'aborted') {
        timing.ok = false
        timing.error = 'aborted'
      }
    } catch (e) {
      if ((e as { fatal?: boolean })?.fatal) fatal ??= e
      timing.ok = false
      timing.error = e instanceof Error ? e.message : String(e)
      timing.outputTokens = timing.chunkCounts.reduce((a, b) => a + b, 0)
    } finally {
      inFlightAborts.delete(abort)
    }
    if (timing.end === 0) timing.end = performance.now()
    watch?.noteFinished()
    results.push(timing)
    if (!turn) hooks.onRequestDone?.(results.length)
    return { ok: timing.ok, text: reply }
  }
  // a unit of load: one request, or one conversation (its turns in sequence; progress counts conversations)
  let conversationsDone = 0
  const stopped = () => fatal !== null || performance.now() >= deadline || hooks.signal?.aborted === true
  const runUnit = async (index: number, schedule?: { scheduled: number; waitedForCap: boolean }): Promise<void> => {
    const prompt = prompts[index % prompts.length]
    if (prompt.turns === undefined) return void (await runOne(index, schedule))
    await runConversation(index, prompt, { send: (turn, s) => runOne(index, s, turn), stopped, thinkTime: plan.thinkTimeMs, seed: plan.seed, schedule })
    hooks.onRequestDone?.(++conversationsDone)
  }

  // the monitor and the listener end with the load, also when it throws: a 1 ms timer left running
  // would tick through every later window of this worker
  const drive = async (): Promise<void> => {
    if (plan.rate === null && plan.arrivalsMs === undefined) {
      // closed loop: N lanes, each sends its next request as soon as the previous one finished
      const lane = async () => {
        for (let i = take(); i !== null; i = take()) {
          await runUnit(i)
          // start the replacement after this turn of the event loop: when many streams end together,
          // the other streams' final events are read (and stamped) first, not after every replacement
          // request has been built and sent
          await new Promise((r) => setImmediate(r))
        }
      }
      const lanes = Math.max(1, plan.concurrency)
      const ramp = plan.rampUpMs ?? 0
      // with a ramp-up, lane k joins at k/lanes of the ramp: in flight grows 1, 2, ... N over rampUpMs
      await Promise.all(Array.from({ length: lanes }, (_, k) => (ramp > 0 && k > 0 ? sleep((ramp * k) / lanes).then(lane) : lane())))
    } else {
      // (a trace replay has no rate: its arrivals are the trace's)
      const rate = plan.rate === 'inf' || plan.rate === null ? Infinity : plan.rate
      // each shard draws its own arrivals at its share of the rate
      const mine = Math.ceil((plan.requests - shard.index) / shard.count)
      // the arrivals asked for, then (measurement.minWindowSec) further rounds of the same process,
      // each with its own seed, following on from the last arrival, until the window is long enough
      const arrivals = (round: number) =>
        plan.arrivalsMs ? plan.arrivalsMs.filter((_, i) => i % shard.count === shard.index).slice(0, mine) : arrivalOffsetsMs(mine, { rate: rate / shard.count, burstiness: plan.burstiness, seed: plan.seed + shard.index + round * 7919 })
      let inFlight = 0
      const waiters: (() => void)[] = []
      const release = () => {
        inFlight--
        waiters.shift()?.()
      }
      if (plan.saturationWindowSec && Number.isFinite(rate))
        // on saturation the arrival waiting for a slot is let go: take() then ends the sending
        watch = new SaturationWatch(plan.saturationWindowSec, windowStart + (plan.rampUpMs ?? 0), windowStart, () => waiters.splice(0).forEach((w) => w()))
      watch?.start()
      const running: Promise<void>[] = []
      let base = 0
      send: for (let round = 0; round === 0 || performance.now() < minUntil; round++) {
        const offsets = round === 0 ? rampArrivals(arrivals(0), plan.rampUpMs ?? 0) : arrivals(round)
        watch?.addArrivals(offsets.map((o) => windowStart + base + o))
        for (const offset of offsets) {
          // the request's arrival: what its latency counts from, however long it then waits for a slot
          const scheduled = windowStart + base + offset
          // a timer may fire a little before its time on performance.now()'s finer clock: sleep again
          for (let wait = scheduled - performance.now(); wait > 0; wait = scheduled - performance.now()) await sleep(wait)
          const waitedForCap = inFlight >= plan.concurrency
          if (waitedForCap) await new Promise<void>((r) => waiters.push(r))
          const i = take()
          if (i === null) break send
          inFlight++
          watch?.noteSent()
          running.push(runUnit(i, { scheduled, waitedForCap }).finally(release))
        }
        // the next round starts one mean gap after this round's last arrival (right away at rate 'inf')
        base += (offsets.length ? offsets[offsets.length - 1] : 0) + (Number.isFinite(rate) && rate > 0 ? (1000 * shard.count) / rate : 0)
        if (offsets.length === 0) break
      }
      // judged while sending: the drain of the last requests is not an arrival pattern
      watch?.stop()
      await Promise.all(running)
    }
  }
  let windowEnd: number
  let utilisation: number
  let threadDelays: (ThreadLoopDelay | null)[] = []
  try {
    await drive()
  } finally {
    windowEnd = performance.now()
    watch?.stop()
    loopDelay.disable()
    utilisation = performance.eventLoopUtilization(elu0).utilization
    hooks.signal?.removeEventListener('abort', abortAll)
    if (threads) threadDelays = await threads.stop()
  }
  if (fatal !== null) throw fatal
  results.sort((a, b) => a.index - b.index || (a.turn ?? 0) - (b.turn ?? 0))
  // the histogram records each tick's whole interval in ns, the 1 ms timer period included: the
  // lateness is what exceeds it. With no sample yet (a load shorter than one tick) there is none
  const ms = (ns: number) => Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS)
  const own = loopDelay.count > 0 ? { p50_ms: ms(loopDelay.percentile(50)), p99_ms: ms(loopDelay.percentile(99)), max_ms: ms(loopDelay.max), utilisation } : null
  const clientLoopDelay = threads ? worstLoop([own, ...threadDelays]) : own
  return { requests: results, windowStart, windowEnd, clientLoopDelay, saturation: watch?.verdict() ?? null, ...(threads || plan.clientThreadsReason !== undefined ? { clientThreads: { count: threadCount, reason: plan.clientThreadsReason ?? 'set', loopDelay: threadDelays } } : {}) }
}

/** every stamp is only as good as the loop that took it: each figure is the worst over the threads */
function worstLoop(loops: (ThreadLoopDelay | null)[]): ThreadLoopDelay | null {
  const measured = loops.filter((l): l is ThreadLoopDelay => l !== null)
  if (measured.length === 0) return null
  const worst = (k: keyof ThreadLoopDelay) => measured.reduce((a, l) => Math.max(a, l[k]), 0)
  return { p50_ms: worst('p50_ms'), p99_ms: worst('p99_ms'), max_ms: worst('max_ms'), utilisation: worst('utilisation') }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/**
 * Warp arrival offsets drawn at the full rate so the rate rises linearly from 0 over `rampMs`: the
 * expected arrivals by time t are then integral of rate*s/ramp = rate*t^2/(2*ramp) inside the ramp
 * and rate*(t - ramp/2) after it; invert that for each offset. Infinite rates (offsets all 0) stay.
 */
export function rampArrivals(offsets: number[], rampMs: number): number[] {
  if (rampMs <= 0) return offsets
  return offsets.map((tau) => (tau < rampMs / 2 ? Math.sqrt(2 * rampMs * tau) : tau + rampMs / 2))
}
