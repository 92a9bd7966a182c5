/**
 * The `ipmi` probe: whole-node power from the BMC's DCMI power reading through ipmitool, on this
 * host (`probes: { ipmi: {} }`) or a remote BMC (`probes: { ipmi: { host } }`, credentials from the
 * variables userEnv / passwordEnv name). DCMI has no energy counter: energy integrates the
 * instantaneous readings, polled in the background once per interval.
 */
import type { z } from 'zod'
import type { Probe, ProbeSession } from 'llem/plugin/runtime'
import { LlemError, lazySchema } from 'llem/plugin/runtime'
import { readDcmiPower, type IpmitoolOptions } from './ipmitool.js'
import { NodeSampler } from './node-sampler.js'
import { nodeSession } from './node-session.js'

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

export const ipmiOptionsSchema = lazySchema((z) =>
  z.strictObject({
    /** the ipmitool executable (default: ipmitool on PATH) */
    command: z.string().min(1).optional(),
    /** a remote BMC's address; absent: this host's BMC through the local IPMI device */
    host: z.string().min(1).optional(),
    interface: z.enum(['lanplus', 'lan']).optional(),
    userEnv: z.string().regex(ENV_NAME, 'an environment variable name').optional(),
    passwordEnv: z.string().regex(ENV_NAME, 'an environment variable name').optional(),
    /** polling interval (default 1000 ms: DCMI readings refresh about once a second) */
    intervalMs: z.int().min(100).max(60000).optional(),
    timeoutMs: z.int().min(100).max(60000).optional(),
  }),
)
export type IpmiOptions = z.infer<typeof ipmiOptionsSchema>

export const IPMI_DEFAULTS = { command: 'ipmitool', userEnv: 'LLEM_IPMI_USER', passwordEnv: 'LLEM_IPMI_PASSWORD', intervalMs: 1000, timeoutMs: 5000 }

function tool(options: IpmiOptions): IpmitoolOptions {
  return {
    command: options.command ?? IPMI_DEFAULTS.command, host: options.host, interface: options.interface ?? 'lanplus',
    userEnv: options.userEnv ?? IPMI_DEFAULTS.userEnv, passwordEnv: options.passwordEnv ?? IPMI_DEFAULTS.passwordEnv,
    timeoutMs: options.timeoutMs ?? IPMI_DEFAULTS.timeoutMs,
  }
}

const where = (o: IpmiOptions) => (o.host ? `BMC ${o.host} (${o.interface ?? 'lanplus'})` : 'local BMC')

export const ipmiProbe: Probe<IpmiOptions> = {
  name: 'ipmi',
  options: ipmiOptionsSchema,

  async available(options) {
    try {
      const r = await readDcmiPower(tool(options))
      return { available: true, reason: `${where(options)}: DCMI power reading ${r.instantaneous_w} W (BMC statistics over ${r.sampling_period_sec ?? '?'} s)` }
    } catch (e) {
      return { available: false, reason: e instanceof Error ? e.message : String(e) }
    }
  },

  async open(options): Promise<ProbeSession> {
    const t = tool(options)
    let period: number | null = null
    const sampler = new NodeSampler({
      domain: options.host ? `bmc/${options.host}` : 'bmc/local',
      intervalMs: options.intervalMs ?? IPMI_DEFAULTS.intervalMs,
      read: async () => {
        const r = await readDcmiPower(t)
        period = r.sampling_period_sec
        return { power_w: r.instantaneous_w, counter_j: null }
      },
    })
    try {
      await sampler.start()
    } catch (e) {
      await sampler.stop()
      throw new LlemError('PROBE_FAILED', `ipmi probe: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
    }
    return nodeSession({
      probe: 'ipmi',
      sampler,
      describe: {
        probe: 'ipmi', command: t.command, target: where(options), reading: 'DCMI Get Power Reading: instantaneous power',
        login_from_env: options.host ? { userEnv: t.userEnv, passwordEnv: t.passwordEnv } : null,
        bmc_averaging_interval_sec: period,
      },
    })
  },
}
