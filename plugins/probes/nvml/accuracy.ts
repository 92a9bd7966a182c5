/**
 * What NVML's sensors are known to get wrong, for the energy error model (ProbeSession.errorModel).
 * A vendor bound is read as a 95% bound on a per-device error that holds for the whole session.
 */
import type { SensorAccuracy } from 'llem/plugin/runtime'

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
 * NVML's energy counter counts millijoules (nvmlDeviceGetTotalEnergyConsumption). Its update period
 * is measured per GPU when the probe opens (devices[].counter_update_period_ms); when that failed,
 * the slow end of the 20-100 ms range the methodology documents is assumed, which widens the edge
 * term rather than narrowing it.
 */
export const NVML_COUNTER = { resolution_j: 0.001, fallback_period_ms: 100 }
