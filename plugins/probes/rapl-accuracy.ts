/**
 * What RAPL's counters are assumed to get wrong, for the energy error model (ProbeSession.errorModel).
 * No vendor states an accuracy: each figure is an ASSUMPTION read off published validation work,
 * labelled as such in `source`.
 */
import type { SensorAccuracy } from 'llem/plugin/runtime'

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
 * RAPL counts in Energy Status Units, 1/2^16 J = 15.3 µJ by default (Intel SDM vol. 3B, RAPL
 * interfaces, MSR_RAPL_POWER_UNIT), exposed by powercap in µJ; the counter updates about every
 * 1 ms (Hähnel et al., "Measuring energy consumption for short code paths using RAPL", SIGMETRICS
 * PER 40(3), 2012). llem does not measure the RAPL period, so this constant stands in for it.
 */
export const RAPL_COUNTER = { resolution_j: 15.3e-6, period_ms: 1 }
