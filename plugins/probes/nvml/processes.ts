/**
 * The compute-process list's entry layout, which NVIDIA changed under one function name. What
 * nvmlDeviceGetComputeRunningProcesses_v3 writes per process depends on the driver (nvml.h history;
 * nvitop, go-nvml and pynvml all misread it at some point):
 *
 *   R510-R530           _v3 writes nvmlProcessInfo_v2_t (24 bytes)
 *   535.43-535.86       _v3 writes 32 bytes: nvmlProcessInfo_t gained usedGpuCcProtectedMemory
 *   535.98              _v3 is gone
 *   535.104 and later   _v3 writes 24 bytes again (the 32-byte entry moved to nvmlProcessDetail_v1_t)
 *
 * nvmlDeviceGetComputeRunningProcesses_v2 writes nvmlProcessInfo_v2_t on every driver that has it.
 * Reading 32-byte entries as 24-byte ones misreads every process after the first, and a buffer sized
 * for 24-byte entries is overrun by a driver writing 32.
 */
import { NVML_LAYOUT } from './bindings.js'

export type ProcessListFn = 'nvmlDeviceGetComputeRunningProcesses_v3' | 'nvmlDeviceGetComputeRunningProcesses_v2'

export interface ProcessInfoLayout {
  fn: ProcessListFn
  /** bytes per entry the driver writes */
  size: number
}

/** The widest entry any driver writes: buffers are sized for it, so a misjudged layout never overruns. */
export const MAX_PROCESS_INFO_SIZE = NVML_LAYOUT.processInfoV3.size

/** "535.54.03" -> { major: 535, minor: 54 }; null when it is not a driver version. */
export function parseDriverVersion(version: string | null): { major: number; minor: number } | null {
  const m = version === null ? null : /^(\d+)\.(\d+)/.exec(version.trim())
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null
}

/**
 * Which call to make and how wide its entries are, for this driver. null: no way to list processes
 * whose layout is known (no _v2, and _v3 with a driver version that cannot be read).
 */
export function processInfoLayout(driverVersion: string | null, has: { v3: boolean; v2: boolean }): ProcessInfoLayout | null {
  const v = parseDriverVersion(driverVersion)
  if (has.v3 && v !== null) {
    const ccEntries = v.major === 535 && v.minor < 98
    return { fn: 'nvmlDeviceGetComputeRunningProcesses_v3', size: ccEntries ? NVML_LAYOUT.processInfoV3.size : NVML_LAYOUT.processInfoV2.size }
  }
  if (has.v2) return { fn: 'nvmlDeviceGetComputeRunningProcesses_v2', size: NVML_LAYOUT.processInfoV2.size }
  return null
}

/** usedGpuMemory when the driver cannot tell (NVML_VALUE_NOT_AVAILABLE as unsigned long long) */
const VALUE_NOT_AVAILABLE_U64 = 0xffff_ffff_ffff_ffffn

/** `count` entries of `size` bytes each; pid and usedGpuMemory sit at the same offsets in every layout. */
export function decodeProcesses(buf: Buffer | null, count: number, size: number): { pid: number; usedMemoryBytes: number | null }[] {
  const out: { pid: number; usedMemoryBytes: number | null }[] = []
  const L = NVML_LAYOUT.processInfoV2
  for (let i = 0; i < count && buf; i++) {
    const at = i * size
    const used = buf.readBigUInt64LE(at + L.usedGpuMemory)
    out.push({ pid: buf.readUInt32LE(at + L.pid), usedMemoryBytes: used === VALUE_NOT_AVAILABLE_U64 ? null : Number(used) })
  }
  return out
}
