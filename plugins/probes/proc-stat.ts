/**
 * The kernel's CPU time counters (/proc/stat), shared by the CPU estimate (utilisation drives its
 * power model) and the idle-baseline check (host-cpu-idle.ts). /proc/stat counts the whole host.
 */
export const DEFAULT_PROC_STAT = '/proc/stat'

export interface CpuTimes {
  busy: number
  idle: number
}

/**
 * Parses the aggregate `cpu` line. Fields: user nice system idle iowait irq softirq steal guest
 * guest_nice. guest/guest_nice are already included in user/nice, so they are not added again.
 * iowait is idle time (the CPU waits, it does not compute).
 */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => /^cpu\s/.test(l))
  if (!line) throw new Error('no aggregate "cpu" line')
  const f = line.trim().split(/\s+/).slice(1).map(Number)
  if (f.length < 4 || f.some((v) => !Number.isFinite(v))) throw new Error(`unparseable "cpu" line: ${line}`)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f
  return { busy: user + nice + system + irq + softirq + steal, idle: idle + iowait }
}

/** Utilisation in [0, 1] between two snapshots; null when no tick elapsed (nothing to measure). */
export function utilisation(prev: CpuTimes, cur: CpuTimes): number | null {
  const busy = cur.busy - prev.busy
  const total = busy + (cur.idle - prev.idle)
  if (total <= 0 || busy < 0) return null
  return Math.min(1, Math.max(0, busy / total))
}
