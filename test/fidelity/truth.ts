/**
 * The ground truth of a simulated run, from the simulated server's own record only (its power
 * segments and send times), never from llem's code: the exact energy a GPU drew over any interval,
 * and which server request a client-side request record is.
 */
import type { SimRequest, Segment } from './sim-gpu-server.js'

/** exact integral (J) of a GPU's piecewise-constant power over [aMs, bMs] (idle outside segments) */
export function trueEnergyJ(segments: Segment[], idleW: number, aMs: number, bMs: number): number {
  if (bMs <= aMs) return 0
  let j = (idleW * (bMs - aMs)) / 1000
  for (const s of segments) {
    const lo = Math.max(aMs, s.t0Ms)
    const hi = Math.min(bMs, s.t1Ms)
    if (hi > lo) j += ((s.w - idleW) * (hi - lo)) / 1000
  }
  return j
}

/** tokens the engine emitted (iteration ends) in [aMs, bMs) over all requests */
export function tokensEmitted(requests: SimRequest[], aMs: number, bMs: number): number {
  return requests.reduce((n, r) => n + r.tokenMs.filter((t) => t >= aMs && t < bMs).length, 0)
}

/** the server request a client prompt was sent as: prompts carry a unique tag `rq<index>` */
export function byTag(requests: SimRequest[]): Map<string, SimRequest> {
  const m = new Map<string, SimRequest>()
  for (const r of requests) {
    const tag = /\brq\d+\b/.exec(r.prompt)?.[0]
    if (tag) m.set(tag, r)
  }
  return m
}

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const i = (s.length - 1) * q
  const lo = Math.floor(i)
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo)
}
