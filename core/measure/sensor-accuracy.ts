/**
 * What the energy error model (uncertainty.ts) assumes about sensors in general. Each probe states its
 * own sensors' figures, with where each comes from (ProbeSession.errorModel: plugins/probes/nvml/
 * accuracy.ts, plugins/probes/rapl-accuracy.ts). A vendor bound is read as a 95% bound on a per-device error that holds for the whole
 * session (an offset in watts, or a gain as a fraction of the reading), so it grows with the window
 * instead of averaging away: a systematic error does not shrink with more samples.
 *
 * Where no vendor states an accuracy (RAPL), the figure is an ASSUMPTION read off published
 * validation work, labelled as such in `source`. The calibration test checks the model's arithmetic
 * against simulated sensors that draw their errors from these same figures; it cannot check the
 * figures themselves (that needs a reference power meter).
 */

export type { SensorAccuracy } from '../probes/types.js'

/**
 * A counter whose update period a probe neither measured nor states: the slow end of the 20-100 ms
 * range GPU counters show is assumed, which widens the edge term rather than narrowing it. A probe
 * states its own (SensorErrorModel.fallback_period_ms).
 */
export const UNMEASURED_COUNTER_PERIOD_MS = 100

/**
 * When the baseline's spread was not recorded (no block powers), the standard error of its mean
 * power is ASSUMED to be this fraction of the baseline power. A 30 s idle baseline averages out
 * sample noise to well under this; the figure is a placeholder until the spread is recorded.
 */
export const ASSUMED_BASELINE_RELATIVE_SE = 0.02
