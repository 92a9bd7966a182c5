/**
 * AMD's energy accumulator turned into joules since the session opened. The library hands out a
 * 64-bit count of ticks (amdsmi_get_energy_count, `counter_resolution` microjoules each), but on
 * firmware whose metrics table carried a 32-bit accumulator (gpu_metrics 1.0; the 64-bit field is
 * marked "v1 mod. (32->64)" in amdsmi.h) it wraps at 2^32 ticks: 65.7 kJ at 15.3 uJ, about two
 * minutes at 500 W, so a long window sees it wrap.
 *
 * A reading below the last one is a 32-bit wrap when both fit in 32 bits and the energy the wrap
 * implies is physically possible in the time since the last read (at most MAX_PACKAGE_W); anything
 * else is a restart of the counter (a driver reload), counted from zero, and reported.
 */
const WRAP_32 = 2n ** 32n
/** no accelerator package draws more than this; a "wrap" implying more is a counter restart */
export const MAX_PACKAGE_W = 3000

export class EnergyAccumulator {
  private last: bigint
  private lastAtMs: number
  private ticks = 0
  wraps = 0
  resets = 0

  constructor(
    first: bigint,
    atMs: number,
    /** microjoules per tick, as the library reports it */
    readonly resolutionUj: number,
  ) {
    this.last = first
    this.lastAtMs = atMs
  }

  /** feed a reading taken at `atMs` (host clock); returns joules since construction */
  update(v: bigint, atMs: number): number {
    if (v >= this.last) this.ticks += Number(v - this.last)
    else {
      const wrapped = v + WRAP_32 - this.last
      const elapsedS = Math.max(atMs - this.lastAtMs, 0) / 1000
      // a read may come a few ms late: give the bound one counter update (and a tick) of slack
      const plausible = (Number(wrapped) * this.resolutionUj) / 1e6 <= MAX_PACKAGE_W * (elapsedS + 0.1)
      if (this.last < WRAP_32 && v < WRAP_32 && plausible) {
        this.ticks += Number(wrapped)
        this.wraps++
      } else {
        this.ticks += Number(v)
        this.resets++
      }
    }
    this.last = v
    this.lastAtMs = atMs
    return this.joules()
  }

  joules(): number {
    return (this.ticks * this.resolutionUj) / 1e6
  }
}
