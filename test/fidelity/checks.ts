/**
 * Every figure a user reads from one scenario, beside its truth from the simulated server's record:
 * one row per metric with the error, llem's stated 95% uncertainty where it states one (covered:
 * |llem - truth| <= uncertainty), and the tolerance the scenario tests hold it to.
 */
import type { ScenarioRun } from './scenario.js'
import { byTag, quantile, tokensEmitted, trueEnergyJ } from './truth.js'

export interface Row {
  scenario: string
  metric: string
  unit: string
  truth: number
  llem: number | null
  /** llem - truth */
  error: number | null
  /** (llem - truth) / |truth| */
  relError: number | null
  /** llem's stated 95% half-width; null where it states none */
  uncertainty: number | null
  covered: boolean | null
  /** allowed |error| (absolute, in unit) */
  tolerance: number
  /** within the tolerance, or (energy figures) within llem's own stated uncertainty */
  pass: boolean
  /** the window held at least 10 updates of every GPU's counter (the 0.5% applies) */
  tenUpdates: boolean
  /** the physical bound on |error| (counter edges at peak power), where one applies */
  bound: number | null
}

/** rel/abs: the tolerance; bound: the most a correct reading can be off by from the scenario's
 *  physics (counter edges at peak power), which the tests accept where a 95% interval may miss */
type Tol = { rel?: number; abs?: number; bound?: number }

/** one row: llem's figure against the truth, with its tolerance and llem's stated uncertainty */
export function checkRow(scenario: string, metric: string, unit: string, truth: number, llem: number | null | undefined, tol: Tol, uncertainty?: number | null): Row {
  const v = typeof llem === 'number' && Number.isFinite(llem) ? llem : null
  const error = v === null ? null : v - truth
  const u = typeof uncertainty === 'number' ? uncertainty : null
  const tolerance = Math.max((tol.rel ?? 0) * Math.abs(truth), tol.abs ?? 0)
  return {
    scenario, metric, unit, truth, llem: v, error, relError: error === null || truth === 0 ? null : error / Math.abs(truth),
    uncertainty: u, covered: error === null || u === null ? null : Math.abs(error) <= u,
    tolerance, pass: error !== null && (Math.abs(error) <= tolerance || (u !== null && Math.abs(error) <= u)), tenUpdates: false, bound: tol.bound ?? null,
  }
}

export interface CheckOptions {
  /** relative tolerance for energy over the whole window (default 0.5%) */
  energyRel?: number
  /** relative tolerance for steady-state and per-token figures (default 1%) */
  steadyRel?: number
  /** TTFT tolerance (ms) against the engine's send times, on the median. The client, the server and
   *  other work share this host's cores: a process not scheduled for a few ms moves a median by that
   *  much, while a wrong definition (from the wrong event, per chunk instead of per token) moves it by
   *  a whole iteration or more */
  latencyMs?: number
  /** TPOT's, on the median (p99: 5x); a mean over many gaps, so scheduling noise averages out */
  tpotMs?: number
  /** the p99 of a per-request difference: one late wake-up of a client sharing 2 cores with the server
   *  and the test reaches this; the medians above catch a wrong definition */
  p99Ms?: number
  /** E2E against the engine's last send, on the median (p99: twice p99Ms) */
  e2eMs?: number
  /** the same against the server's view, which includes the request's way to the server */
  serverViewMs?: number
}

export function checkRun(run: ScenarioRun, opts: CheckOptions = run.scenario.check ?? {}): Row[] {
  const { scenario: s, raw, agg, server } = run
  const name = s.name
  const eRel = opts.energyRel ?? 0.005
  const sRel = opts.steadyRel ?? 0.01
  const latMs = opts.latencyMs ?? 5
  const tpotMs = opts.tpotMs ?? 1
  const serverViewMs = opts.serverViewMs ?? 25
  const e2eMs = opts.e2eMs ?? 10
  const p99Ms = opts.p99Ms ?? 25
  const rows: Row[] = []
  const a: number = raw.measured_window.start_unix_ms
  const b: number = raw.measured_window.end_unix_ms
  const durS = (b - a) / 1000
  const em = raw.energy_metrics
  const energy = (x: number, y: number) => server.segments.reduce((j, seg, g) => j + trueEnergyJ(seg, s.gpus[g].idleW, x, y), 0)
  const trueE = energy(a, b)
  // the requests of the measured window, by the server's own record: those that arrived inside it
  const measured = server.requests.filter((r) => r.receivedMs >= a - 1 && r.receivedMs <= b)
  const trueTokens = measured.reduce((n, r) => n + r.tokenMs.length, 0)

  const B = physicsBoundJ(run)
  rows.push(checkRow(name, 'gpu energy (window)', 'J', trueE, em.gpu_energy_j, { rel: eRel, bound: B }, em.gpu_energy_uncertainty_j))
  rows.push(checkRow(name, 'total energy (window)', 'J', trueE, em.total_energy_j, { rel: eRel, bound: B }, em.total_energy_uncertainty_j))
  // diagnostic: the figure moved by the error model's own shift (the counter edges' expected lag), the
  // centre of its interval; llem reports the unshifted figure
  const u = em.uncertainty
  if (u && typeof u.shift_j === 'number') rows.push(checkRow(name, 'total energy + model shift (diagnostic)', 'J', trueE, em.total_energy_j + u.shift_j, { rel: eRel, bound: B }, u.half_width_j))
  s.gpus.forEach((g, i) => {
    if (s.gpus.length < 2) return
    const key = Object.keys(raw.energy_per_device_j).find((k) => k.includes(`GPU-sim-${i}000`))
    rows.push(checkRow(name, `gpu ${i} energy (window)`, 'J', trueEnergyJ(server.segments[i], g.idleW, a, b), key ? raw.energy_per_device_j[key] : null, { rel: eRel, bound: physicsBoundJ(run, i) }, key ? (raw.energy_per_device_uncertainty_j?.[key] ?? null) : null))
  })
  // a binding power cap: the time the driver said sw_power_cap (0x4) against the time iterations ran at
  // the cap; each start and end of a capped stretch is seen at the next sample (20 ms, a late timer 30)
  s.gpus.forEach((g, i) => {
    if (g.capW === undefined) return
    let capped = 0
    let stretches = 0
    let prevEnd = -Infinity
    for (const x of server.segments[i]) {
      const over = Math.min(b, x.t1Ms) - Math.max(a, x.t0Ms)
      if (x.w !== g.capW || over <= 0) continue
      capped += over
      if (Math.abs(x.t0Ms - prevEnd) > 1e-6) stretches++
      prevEnd = x.t1Ms
    }
    const dev = (raw.thermal_throttle?.devices ?? []).find((d: { uuid: string }) => d.uuid === `GPU-sim-${i}000`)
    const said = dev ? (dev.reasons.find((r: { reason: string }) => r.reason === 'sw_power_cap')?.duration_sec ?? 0) : null
    rows.push(checkRow(name, `gpu ${i} time at its power cap (sw_power_cap)`, 's', capped / 1000, said, { abs: stretches * 2 * 0.03 }))
  })
  // llem states no power uncertainty: the energy's over the window's duration is the one it implies
  rows.push(checkRow(name, 'gpu average power', 'W', trueE / durS, em.gpu_power_w, { rel: eRel, bound: B / durS }, typeof em.gpu_energy_uncertainty_j === 'number' ? em.gpu_energy_uncertainty_j / durS : null))
  rows.push(checkRow(name, 'output tokens', 'tok', trueTokens, raw.inference_metrics.output_tokens, { abs: 0 }))
  rows.push(checkRow(name, 'J/token (total)', 'J/tok', trueE / trueTokens, em.energy_per_token_j, { rel: eRel, bound: B / trueTokens }, em.energy_per_token_uncertainty_j))
  rows.push(checkRow(name, 'output tok/s', 'tok/s', trueTokens / durS, raw.inference_metrics.output_tokens_per_second, { rel: 0.001 }))

  const ss = raw.steady_state_window
  if (ss && ss.energy_j !== null) {
    const x = a + ss.start_sec * 1000
    const y = a + ss.end_sec * 1000
    const se = energy(x, y)
    // tokens the engine emitted inside the steady window, by iteration end
    const st = tokensEmitted(measured, x, y)
    rows.push(checkRow(name, 'gpu energy (steady)', 'J', se, ss.energy_j, { rel: sRel, bound: B }, ss.energy_uncertainty_j))
    rows.push(checkRow(name, 'J/token (steady)', 'J/tok', se / st, ss.energy_per_token_j, { rel: sRel, bound: B / st }, ss.energy_per_token_uncertainty_j))
  }
  const mm = raw.measurement_methodology
  const headlineTruth = mm.headline_window === 'steady_state' && ss ? rows.find((r) => r.metric === 'J/token (steady)')?.truth : trueE / trueTokens
  if (headlineTruth !== undefined) rows.push(checkRow(name, `J/token (headline, ${mm.headline_window})`, 'J/tok', headlineTruth, agg.avg_energy_per_token_j, { rel: mm.headline_window === 'total' ? eRel : sRel, bound: B / trueTokens }, agg.avg_energy_per_token_uncertainty_j))

  // per-request energies share out the window: their sum is the window's energy
  const ok = (raw.requests as { ok: boolean; energy_j: number | null; output_tokens: number }[]).filter((r) => r.ok)
  const perReq = ok.reduce((j, r) => j + (r.energy_j ?? 0), 0)
  // each request's energy is the steady state's J/token x its tokens: the implied half-width is that
  // J/token's times the tokens
  const perTokU = ss?.energy_per_token_uncertainty_j
  rows.push(checkRow(name, 'sum of per-request energy', 'J', trueE, perReq, { rel: sRel, bound: B }, typeof perTokU === 'number' ? perTokU * ok.reduce((n, r) => n + r.output_tokens, 0) : null))

  const eb = raw.energy_breakdown
  if (eb && eb.baseline_method === 'fresh') {
    const idle = s.gpus.reduce((w, g) => w + g.idleW, 0)
    rows.push(checkRow(name, 'baseline power', 'W', idle, eb.baseline_power_w, { rel: 0.01, bound: (2 * s.gpus.reduce((w, g) => w + g.idleW * g.periodMs, 0)) / 1000 / eb.baseline_duration_sec }))
    rows.push(checkRow(name, 'baseline-adjusted energy', 'J', trueE - idle * durS, eb.adjusted_j, { abs: eRel * trueE + 0.01 * idle * durS, bound: B + ((2 * s.gpus.reduce((w, g) => w + g.idleW * g.periodMs, 0)) / 1000 / eb.baseline_duration_sec) * durS }, eb.adjusted_uncertainty_j))
  }

  // latencies per request against the server's own arrival and send times (same unix-ms clock)
  const tags = byTag(server.requests)
  type LRow = { ok: boolean; start_ms: number; ttft_ms: number; e2e_ms: number; tpot_ms: number | null; client_queue_ms?: number | null; prompt_id: number }
  const pairs = (raw.requests as LRow[]).filter((r) => r.ok).flatMap((r) => {
    const t = tags.get(`rq${r.prompt_id}`)
    return t && t.sends.length > 0 && t.doneMs !== null ? [{ r, t, sent: a + r.start_ms }] : []
  })
  type Pair = (typeof pairs)[0]
  const lm = raw.inference_metrics.latency_measurements ?? {}
  const loopP99: number | null = typeof lm.client_loop_delay_p99_ms === 'number' ? lm.client_loop_delay_p99_ms : null
  const loopMax: number | null = typeof lm.client_loop_delay_max_ms === 'number' ? lm.client_loop_delay_max_ms : null
  const lat = (metric: string, tolMs: number, p99TolMs: number, truth: (p: Pair) => number | null, llem: (p: Pair) => number | null | undefined) => {
    const d = pairs.flatMap((p) => {
      const x = truth(p)
      const y = llem(p)
      return x === null || typeof y !== 'number' ? [] : [{ x, y }]
    })
    if (d.length === 0) return
    // llem's stated bound on its own stamps: how late its event loop ran in the window (p99, max)
    rows.push(checkRow(name, `${metric}: median`, 'ms', quantile(d.map((p) => p.x), 0.5), quantile(d.map((p) => p.y), 0.5), { abs: tolMs }, loopP99))
    rows.push(checkRow(name, `${metric}: p99 |llem - truth|`, 'ms', 0, quantile(d.map((p) => Math.abs(p.y - p.x)), 0.99), { abs: p99TolMs }, loopMax))
  }
  // from llem's send stamp: what the engine's send times say the client should have seen
  lat('TTFT vs engine send', latMs, p99Ms, (p) => p.t.sends[0].ms - p.sent, (p) => p.r.ttft_ms)
  // E2E ends where the client sees the response end ([DONE] and the HTTP body's end, as vLLM's
  // benchmark does), after the client's event loop gets to it: looser than the token stamps
  lat('E2E vs engine send', e2eMs, 2 * p99Ms, (p) => p.t.doneMs! - p.sent, (p) => p.r.e2e_ms)
  lat('TPOT vs engine send', tpotMs, 5 * tpotMs, (p) => (p.t.tokenMs.length > 1 ? (p.t.sends[p.t.sends.length - 1].ms - p.t.sends[0].ms) / (p.t.tokenMs.length - 1) : null), (p) => p.r.tpot_ms)
  // the server's view (from the request's arrival): the difference is the request's way out, client
  // send stamp -> server arrival, which grows with simultaneous sends on a loaded host
  lat('TTFT vs server view', serverViewMs, 2 * serverViewMs + p99Ms, (p) => p.t.sends[0].ms - p.t.receivedMs, (p) => p.r.ttft_ms)
  lat('request send -> server arrival', serverViewMs, 2 * serverViewMs + p99Ms, () => 0, (p) => p.t.receivedMs - p.sent)
  // the client queue of an open loop at rate inf: every request is due at the window start, so its
  // wait is from there to the moment the server received it (at a finite rate the schedule is llem's
  // own seeded draw, which the server does not see: no truth to hold it to here)
  if (/rate: 'inf'/.test(s.load) && pairs.some((p) => typeof p.r.client_queue_ms === 'number')) lat('client queue', serverViewMs, 2 * serverViewMs + p99Ms, (p) => p.t.receivedMs - a, (p) => p.r.client_queue_ms)
  const tenUpdates = s.gpus.every((g) => durS * 1000 >= 10 * g.periodMs)
  for (const r of rows) r.tenUpdates = tenUpdates
  return rows
}

/**
 * The most a correct counter reading can be off by over a window, from the scenario's physics: each of
 * the two edges reads the counter's last update, at most one period of the highest power drawn old.
 */
export function counterEdgeBoundJ(run: ScenarioRun): number {
  return run.scenario.gpus.reduce((j, g, i) => j + (2 * run.server.segments[i].reduce((w, s) => (s.w > w ? s.w : w), g.idleW) * g.periodMs) / 1000, 0)
}

/**
 * The most a correct reading can be off by in one run, from the scenario's physics: the two counter
 * edges of each GPU at most one update each of its peak power, plus one 20 ms sampling interval (a
 * sub-window's edges are interpolated on the timeline; a counter reset loses up to one interval).
 * A 95% interval misses the truth one run in twenty by design; this bound never may.
 */
export function physicsBoundJ(run: ScenarioRun, gpu?: number): number {
  return run.scenario.gpus.reduce((j, g, i) => {
    if (gpu !== undefined && i !== gpu) return j
    const peak = run.server.segments[i].reduce((w, s) => (s.w > w ? s.w : w), g.idleW)
    return j + (peak * (2 * g.periodMs + 20)) / 1000
  }, 0)
}

/** rows outside their tolerance, their stated uncertainty and their physical bound, apart from the
 *  metrics named (known findings) and, with latencies: false, the latency rows (for tests about
 *  something else), as readable lines */
export function outsideTolerance(rows: Row[], except: string[] = [], opts: { latencies?: boolean } = {}): string[] {
  const ok = (r: Row) => r.pass || (r.bound !== null && r.error !== null && Math.abs(r.error) <= r.bound)
  return rows.filter((r) => !ok(r) && !except.includes(r.metric) && (opts.latencies !== false || r.unit !== 'ms')).map((r) => `${r.scenario} / ${r.metric}: truth ${r.truth}, llem ${r.llem}, tolerance ${r.tolerance}, stated ±${r.uncertainty}`)
}
