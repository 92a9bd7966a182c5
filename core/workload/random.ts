/**
 * Small seeded PRNG and the two distributions the harness needs.
 *
 * Everything that shuffles prompts, generates synthetic text, schedules arrivals or
 * bootstraps confidence intervals goes through here, so a run is reproducible from
 * its seed alone. Math.random is never used for anything that ends up in a result.
 */

/** A uniform generator on [0, 1). */
export type Rng = () => number

/**
 * mulberry32: 32-bit state, good enough statistical quality for shuffling and
 * sampling, and trivially portable (the same seed gives the same stream in any JS engine).
 * Non-integer or out-of-range seeds are folded into 32 bits rather than rejected,
 * so any number a user writes is a valid seed.
 */
export function createRng(seed: number): Rng {
  let state = foldSeed(seed)
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Combine a user seed with indices (prompt number, repetition, ...) into an independent
 * seed. Seeding with `seed + i` would give correlated mulberry32 streams for
 * neighbouring indices; mixing through a hash avoids that.
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = foldSeed(seed) ^ 0x9e3779b9
  for (const part of parts) {
    h = Math.imul(h ^ foldSeed(part), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
  }
  return h >>> 0
}

function foldSeed(seed: number): number {
  if (!Number.isFinite(seed)) return 0
  // Keep the fractional part in play so seeds like 0.5 and 0 differ.
  const whole = Math.trunc(seed)
  const frac = Math.round((seed - whole) * 4294967296)
  return ((whole >>> 0) ^ Math.imul(frac >>> 0, 0x27d4eb2d)) >>> 0
}

/** Standard normal via Box-Muller (the second value is discarded to keep the generator stateless). */
export function normal(rng: Rng): number {
  // 1 - u keeps the log argument in (0, 1], avoiding log(0).
  const u1 = 1 - rng()
  const u2 = rng()
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
}

/**
 * Gamma(shape, scale) by Marsaglia-Tsang. Its squeeze only works for shape >= 1, so
 * smaller shapes (bursty arrivals) use the standard boost: draw Gamma(shape + 1) and
 * multiply by U^(1/shape).
 */
export function gamma(rng: Rng, shape: number, scale: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma shape must be a positive finite number, got ${shape}`)
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`gamma scale must be a positive finite number, got ${scale}`)
  if (shape < 1) {
    const boost = Math.pow(1 - rng(), 1 / shape)
    return gamma(rng, shape + 1, scale) * boost
  }
  const d = shape - 1 / 3
  const c = 1 / Math.sqrt(9 * d)
  for (;;) {
    let x: number
    let v: number
    do {
      x = normal(rng)
      v = 1 + c * x
    } while (v <= 0)
    v = v * v * v
    const u = 1 - rng()
    if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale
  }
}
