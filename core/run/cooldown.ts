/**
 * The pause between experiments on the same GPUs: a fixed number of seconds, and/or until every GPU
 * used is back within a margin of the temperature it had when the run started (bounded). A GPU that
 * is still hot draws more power for the same work, which would bias whichever experiment comes next.
 */
import type { GpuProbe } from './gpu-probes.js'

const idleTemps = new Map<string, number>()

/** what the probes offering temperatures() read for these GPUs; a probe that cannot read is skipped */
async function temperatures(uuids: string[], probes: GpuProbe[]): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  if (uuids.length === 0) return out
  for (const { probe, options } of probes) {
    if (!probe.temperatures) continue
    try {
      for (const [u, t] of await probe.temperatures(options, uuids)) if (!out.has(u)) out.set(u, t)
    } catch {
      /* no such library or GPU here: nothing to wait for */
    }
  }
  return out
}

/** Remember each GPU's temperature before anything ran: the reference the margin is measured from. */
export async function recordIdleTemperatures(uuids: string[], probes: GpuProbe[]): Promise<void> {
  for (const [u, t] of await temperatures(uuids, probes)) if (!idleTemps.has(u)) idleTemps.set(u, t)
}

export async function waitForCooldown(c: { seconds: number; temperatureMarginC: number | null; maxSeconds: number }, uuids: string[], signal: AbortSignal, probes: GpuProbe[] = []): Promise<void> {
  // an interrupt cuts the pause short
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const onAbort = () => (clearTimeout(t), r())
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort)
        r()
      }, ms)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  const deadline = Date.now() + c.maxSeconds * 1000
  if (c.seconds > 0) await sleep(Math.min(c.seconds * 1000, c.maxSeconds * 1000))
  if (c.temperatureMarginC === null || uuids.length === 0) return
  while (Date.now() < deadline && !signal.aborted) {
    const now = await temperatures(uuids, probes)
    const hot = [...now].filter(([u, t]) => idleTemps.has(u) && t > idleTemps.get(u)! + c.temperatureMarginC!)
    if (hot.length === 0) return
    await sleep(1000)
  }
}
