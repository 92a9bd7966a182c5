/**
 * The `redfish` probe: whole-node power (and energy, where the BMC keeps a total) from the BMC's
 * Redfish service over HTTPS. Off unless configured (`probes: { redfish: { url } }`). Credentials
 * come from the environment variables named by userEnv / passwordEnv; the results record the names,
 * never the values. The certificate is checked unless `insecure: true` says otherwise.
 */
import type { z } from 'zod'
import type { Probe, ProbeSession } from 'llem/plugin/runtime'
import { LlemError, lazySchema } from 'llem/plugin/runtime'
import { NodeSampler } from './node-sampler.js'
import { nodeSession } from './node-session.js'
import { RedfishClient, RedfishError } from './redfish-client.js'
import { discoverSource, readSource } from './redfish-power.js'

export const redfishOptionsSchema = lazySchema((z) =>
  z.strictObject({
    /** https://host[:port] of the BMC */
    url: z.string().min(1).optional(),
    /** the chassis Id to read (default: the first of /redfish/v1/Chassis that reports power) */
    chassis: z.string().min(1).optional(),
    /** which schema to read: EnvironmentMetrics (PowerWatts, EnergykWh) or the older Power (PowerConsumedWatts) */
    schema: z.enum(['auto', 'EnvironmentMetrics', 'Power']).optional(),
    auth: z.enum(['basic', 'session', 'none']).optional(),
    /** names of the environment variables holding the user name and password (never the values) */
    userEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    /** skip the certificate check: only for a BMC whose certificate cannot be had */
    insecure: z.boolean().optional(),
    /** PEM file of the CA (or the BMC's self-signed certificate) to trust */
    caFile: z.string().min(1).optional(),
    /** polling interval; default the power sensor's SensingInterval, else 1000 ms */
    intervalMs: z.int().min(100).max(60000).optional(),
    /** per-request timeout */
    timeoutMs: z.int().min(100).max(60000).optional(),
  }),
)
export type RedfishOptions = z.infer<typeof redfishOptionsSchema>

export const REDFISH_DEFAULTS = { userEnv: 'LLEM_REDFISH_USER', passwordEnv: 'LLEM_REDFISH_PASSWORD', intervalMs: 1000, timeoutMs: 5000 }

function client(options: RedfishOptions): RedfishClient {
  if (!options.url) throw new RedfishError('config', 'not configured: set probes.redfish.url to the BMC (https://host)')
  return new RedfishClient({
    url: options.url, auth: options.auth ?? 'basic', insecure: options.insecure ?? false, caFile: options.caFile,
    userEnv: options.userEnv ?? REDFISH_DEFAULTS.userEnv, passwordEnv: options.passwordEnv ?? REDFISH_DEFAULTS.passwordEnv,
    timeoutMs: options.timeoutMs ?? REDFISH_DEFAULTS.timeoutMs,
  })
}

/** the polling interval: the option, else the sensor's own (at least 250 ms), else 1 s */
function interval(options: RedfishOptions, sensingMs: number | null): number {
  if (options.intervalMs) return options.intervalMs
  return sensingMs !== null && sensingMs > 0 ? Math.min(60000, Math.max(250, sensingMs)) : REDFISH_DEFAULTS.intervalMs
}

export const redfishProbe: Probe<RedfishOptions> = {
  name: 'redfish',
  options: redfishOptionsSchema,

  async available(options) {
    let c: RedfishClient | undefined
    try {
      c = client(options)
      const src = await discoverSource(c, { chassis: options.chassis, schema: options.schema ?? 'auto' })
      const r = readSource(src, await c.get(src.path))
      const energy = src.details.energy_property
      return { available: true, reason: `${options.url} chassis ${src.chassis}: ${src.schema} ${r.power_w} W${energy ? `, energy counter ${energy}` : ', no energy counter (power is integrated)'}${options.insecure ? ' (certificate NOT checked: insecure)' : ''}` }
    } catch (e) {
      return { available: false, reason: e instanceof Error ? e.message : String(e) }
    } finally {
      await c?.close()
    }
  },

  async open(options): Promise<ProbeSession> {
    const c = client(options)
    try {
      const src = await discoverSource(c, { chassis: options.chassis, schema: options.schema ?? 'auto' })
      const sampler = new NodeSampler({ domain: `chassis/${src.chassis}`, intervalMs: interval(options, src.sensingIntervalMs), read: async () => readSource(src, await c.get(src.path)) })
      await sampler.start()
      return nodeSession({
        probe: 'redfish',
        sampler,
        describe: {
          probe: 'redfish', url: options.url, chassis: src.chassis, schema: src.schema, resource: src.path, auth: options.auth ?? 'basic',
          // the variable names only: the values never reach a result, a log or a console line
          login_from_env: options.auth === 'none' ? null : { userEnv: options.userEnv ?? REDFISH_DEFAULTS.userEnv, passwordEnv: options.passwordEnv ?? REDFISH_DEFAULTS.passwordEnv },
          certificate_check: options.insecure ? 'off (probes.redfish.insecure)' : options.caFile ? `on, CA ${options.caFile}` : 'on, system CAs',
          bmc_sensing_interval_ms: src.sensingIntervalMs, bmc_averaging_interval_sec: src.averagingIntervalSec, ...src.details,
        },
        warnings: () => (options.insecure ? [`redfish: the BMC's certificate was not checked (probes.redfish.insecure): the readings could come from anyone on the path`] : []),
        close: () => c.close(),
      })
    } catch (e) {
      await c.close()
      throw new LlemError('PROBE_FAILED', `redfish probe: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
    }
  },
}
