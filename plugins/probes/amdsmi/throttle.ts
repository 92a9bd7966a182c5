/**
 * AMD's ASIC-independent throttle bits (gpu_metrics indep_throttle_status, the SMU_THROTTLER_*_BIT
 * numbers of the amdgpu kernel driver, amdgpu_smu.h) folded onto the clocks-event reason bits the
 * timeline's `clocks_event_reasons` columns carry (NVML's numbering and names, declared below as the
 * devices' throttle_reasons), so one throttling summary reads the same for both vendors:
 *
 *   bits 0-7    power limits (PPT0-3, SPL, FPPT, SPPT, SPPT_APU)        -> sw_power_cap (0x4)
 *   bits 16-23  current limits (TDC GFX/SOC/MEM/VDD/CVIP, EDC, APCC)     -> hw_slowdown (0x8)
 *   bits 32-43  temperature limits (GPU, core, memory, edge, hotspot,
 *               SoC, VR, liquid)                                         -> sw_thermal_slowdown (0x20)
 *   bits 44-47  VRHOT0/1 and PROCHOT (CPU, GFX): hardware signals        -> hw_thermal_slowdown (0x40)
 *   bits 56-57  PPM, FIT (other firmware limits)                          -> hw_slowdown (0x8)
 *
 * The firmware's limits move the clocks gradually, as NVIDIA's software limits do; VRHOT and PROCHOT
 * are pins a regulator or the host asserts, like NVIDIA's hardware slowdown.
 */
import type { ThrottleReason } from 'llem/plugin/runtime'

/** the folded bits by name, declared for the `clocks_event_reasons` column (0x80, NVIDIA's power brake, has no AMD source) */
export const AMD_THROTTLE_REASONS: ThrottleReason[] = [
  { bit: 0x4, reason: 'sw_power_cap' },
  { bit: 0x8, reason: 'hw_slowdown' },
  { bit: 0x20, reason: 'sw_thermal_slowdown' },
  { bit: 0x40, reason: 'hw_thermal_slowdown' },
]

const POWER = 0xffn
const CURRENT = 0xffn << 16n
const THERMAL = 0xfffn << 32n
const HW_THERMAL = 0xfn << 44n
const OTHER = 0x3n << 56n

export function clocksEventReasonsOf(indepThrottleStatus: bigint): number {
  let out = 0
  if (indepThrottleStatus & POWER) out |= 0x4
  if (indepThrottleStatus & (CURRENT | OTHER)) out |= 0x8
  if (indepThrottleStatus & THERMAL) out |= 0x20
  if (indepThrottleStatus & HW_THERMAL) out |= 0x40
  return out
}
