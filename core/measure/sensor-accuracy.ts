/**
 * The figures the energy error model (uncertainty.ts) assumes about each sensor, with where each
 * comes from. A vendor bound is read as a 95% bound on a per-device error that holds for the whole
 * session (an offset in watts, or a gain as a fraction of the reading), so it grows with the window
 * instead of averaging away: a systematic error does not shrink with more samples.
 *
 * Where no vendor states an accuracy (RAPL), the figure is an ASSUMPTION read off published
 * validation work, labelled as such in `source`. The calibration test checks the model's arithmetic
 * against simulated sensors that draw their errors from these same figures; it cannot check the
 * figures themselves (that needs a reference power meter).
 */

export interface SensorAccuracy {
  /** 95% bound on a constant per-device offset, watts (0: none) */
  absolute_w: number
  /** 95% bound on a per-device gain error, as a fraction of the reading (0: none) */
  relative: number
  /** where the figure comes from: a vendor statement, or 'assumed: ...' with the work it rests on */
  source: string
}

/**
 * Volta and later GPUs, energy counter. nvidia-smi --help-query-gpu, power.draw: "This reading is
 * accurate to within +/- 5 watts." The counter is fed by the same board sensor, so the same bound is
 * applied to it (NVIDIA states none for nvmlDeviceGetTotalEnergyConsumption itself).
 */
export const NVML_COUNTER_ACCURACY: SensorAccuracy = {
  absolute_w: 5,
  relative: 0,
  source: 'nvidia-smi --help-query-gpu, power.draw: "accurate to within +/- 5 watts"',
}

/**
 * GPUs without an energy counter (before Volta), whose energy llem integrates from instant power.
 * NVML reference, nvmlDeviceGetPowerUsage: "On Fermi and Kepler GPUs the reading is accurate to
 * within +/- 5% of current power draw." Assumed to hold for Maxwell and Pascal too, which NVIDIA
 * does not state separately.
 */
export const NVML_INSTANT_ACCURACY: SensorAccuracy = {
  absolute_w: 0,
  relative: 0.05,
  source: 'NVML reference, nvmlDeviceGetPowerUsage: "accurate to within +/- 5% of current power draw" (Fermi, Kepler; assumed for Maxwell, Pascal)',
}

/**
 * RAPL package (and core/uncore) domains. Intel and AMD publish no accuracy. Assumed: ±5% of the
 * energy. Khan et al., "RAPL in Action", ACM TOMPECS 3(2), 2018 (doi:10.1145/3177754) find package
 * RAPL highly correlated with plug power; Hackenberg et al., IPDPSW 2015 (doi:10.1109/IPDPSW.2015.70)
 * find Haswell-EP moved RAPL from modelling to measurement with better accuracy than its
 * predecessors, whose model-based values can be off by more: older parts may exceed this bound.
 */
export const RAPL_PACKAGE_ACCURACY: SensorAccuracy = {
  absolute_w: 0,
  relative: 0.05,
  source: 'assumed ±5% (no vendor figure): Khan et al. 2018, doi:10.1145/3177754; Hackenberg et al. 2015, doi:10.1109/IPDPSW.2015.70',
}

/**
 * RAPL DRAM domains. Assumed: ±10% of the energy, twice the package bound, because Desrochers,
 * Paradis, Weaver, "A Validation of DRAM RAPL Power Measurements", MEMSYS 2016
 * (doi:10.1145/2989081.2989088) find DRAM RAPL follows the measured trend "usually by a constant
 * power offset" that varies between systems and is worst when the memory is idle.
 */
export const RAPL_DRAM_ACCURACY: SensorAccuracy = {
  absolute_w: 0,
  relative: 0.1,
  source: 'assumed ±10% (no vendor figure): Desrochers, Paradis, Weaver, MEMSYS 2016, doi:10.1145/2989081.2989088',
}

/**
 * NVML's energy counter counts millijoules (nvmlDeviceGetTotalEnergyConsumption). Its update period
 * is measured per GPU when the probe opens (devices[].counter_update_period_ms); when that failed,
 * the slow end of the 20-100 ms range the methodology documents is assumed, which widens the edge
 * term rather than narrowing it.
 */
export const NVML_COUNTER = { resolution_j: 0.001, fallback_period_ms: 100 }

/**
 * RAPL counts in Energy Status Units, 1/2^16 J = 15.3 µJ by default (Intel SDM vol. 3B, RAPL
 * interfaces, MSR_RAPL_POWER_UNIT), exposed by powercap in µJ; the counter updates about every
 * 1 ms (Hähnel et al., "Measuring energy consumption for short code paths using RAPL", SIGMETRICS
 * PER 40(3), 2012). llem does not measure the RAPL period, so this constant stands in for it.
 */
export const RAPL_COUNTER = { resolution_j: 15.3e-6, period_ms: 1 }

/**
 * When the baseline's spread was not recorded (no block powers), the standard error of its mean
 * power is ASSUMED to be this fraction of the baseline power. A 30 s idle baseline averages out
 * sample noise to well under this; the figure is a placeholder until the spread is recorded.
 */
export const ASSUMED_BASELINE_RELATIVE_SE = 0.02
