/**
 * The AMD SMI ABI as llem's koffi declarations, AMD's amdsmi 6.2.2 Python package (its ctypes
 * declarations, generated from amdsmi.h) and the fake libamd_smi's C state it: every struct llem
 * passes, member by member, every function it binds, argument by argument, the status codes it
 * names and the bits of amdsmi_bdf_t must agree among all three. AMD's declarations are the
 * reference: a fake that disagrees with them is wrong whatever llem's other tests say.
 * Under CI a missing env fails (test/fixtures/python-envs.ts), never skips.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { compareAmdSmiDeclarations, type DeclaredComparison } from './fixtures/peers/amdsmi-declared.js'
import { ENV_BUILD_TIMEOUT_MS, pythonEnv } from './fixtures/python-envs.js'

/** the structs llem's calls fill, with their sizes on 64-bit Linux in amdsmi.h (ROCm 6.2.2) */
const HEADER_SIZES = {
  amdsmi_asic_info_t: '448 bytes',
  amdsmi_power_info_t: '68 bytes',
  amdsmi_engine_usage_t: '64 bytes',
  amdsmi_clk_info_t: '32 bytes',
  amdsmi_gpu_metrics_t: '424 bytes',
  amd_metrics_table_header_t: '4 bytes',
  amdsmi_bdf_t: '8 bytes',
}

describe("llem's, AMD's and the fake's declarations of AMD SMI", () => {
  let c: DeclaredComparison
  beforeAll(() => {
    c = compareAmdSmiDeclarations(pythonEnv('peers'))
  }, ENV_BUILD_TIMEOUT_MS)

  it('agree on every struct member, argument, status code and bdf bit', () => {
    expect(c.amdsmiVersion).toBe('6.2.2.post0')
    expect(c.rows.filter((r) => !r.agree)).toEqual([])
  })

  it('cover every struct llem reads, at the size amdsmi.h gives it, and all 16 functions llem binds', () => {
    const sizes = Object.fromEntries(c.rows.filter((r) => r.kind === 'struct' && r.item === 'sizeof').map((r) => [r.what, r.amd]))
    expect(sizes).toEqual(HEADER_SIZES)
    expect(c.rows.filter((r) => r.kind === 'function' && r.item === 'returns')).toHaveLength(16)
    expect(c.rows.filter((r) => r.kind === 'member' && r.what === 'amdsmi_gpu_metrics_t').length).toBeGreaterThan(50)
    expect(c.rows.filter((r) => r.kind === 'bdf bits').map((r) => [r.item, r.fake])).toEqual([
      ['function_number', '0x7'],
      ['device_number', '0xf8'],
      ['bus_number', '0xff00'],
      ['domain_number', '0xffffffffffff0000'],
    ])
  })
})
