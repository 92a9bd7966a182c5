/**
 * NVML's clocks-event reason bits (nvml.h, nvmlClocksEventReason*; docs/references.md) that mean the
 * GPU ran slower than it could, by name: the nvml probe's devices declare them for their
 * `clocks_event_reasons` column. Idle (0x1), application clocks (0x2) and sync boost (0x10) are left
 * out: they are not a limit the workload hit.
 */
import type { ThrottleReason } from 'llem/plugin/runtime'

export const NVML_THROTTLE_REASONS: ThrottleReason[] = [
  { bit: 0x4, reason: 'sw_power_cap' },
  { bit: 0x8, reason: 'hw_slowdown' },
  { bit: 0x20, reason: 'sw_thermal_slowdown' },
  { bit: 0x40, reason: 'hw_thermal_slowdown' },
  { bit: 0x80, reason: 'hw_power_brake_slowdown' },
]
