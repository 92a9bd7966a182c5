/**
 * `ipmitool dcmi power reading`: the DCMI Get Power Reading command, run on this host's BMC (the
 * kernel's IPMI device) or a remote one over the LAN (lanplus). ipmitool prints (lib/ipmi_dcmi.c):
 *
 *     Instantaneous power reading:                   248 Watts
 *     Minimum during sampling period:                 90 Watts
 *     Maximum during sampling period:                420 Watts
 *     Average power reading over sample period:      240 Watts
 *     IPMI timestamp:                           04/01/24 10:00:00 UTC
 *     Sampling period:                          00000001 Seconds.
 *     Power reading state is:                   activated
 *
 * Recent ipmitool prints the timestamp without a line break, so "Sampling period" can follow it on
 * the same line: the parser does not rely on line breaks. A deactivated reading state means the
 * figures are not being measured. The password never appears on the command line: `-E` makes ipmitool
 * take it from IPMI_PASSWORD, set in the child's environment from the variable the options name.
 */
import { execFile } from 'node:child_process'
import { rememberSecret } from 'llem/plugin/runtime'

export type IpmiErrorKind = 'missing' | 'credentials' | 'command' | 'timeout' | 'parse' | 'inactive'

export class IpmiError extends Error {
  readonly kind: IpmiErrorKind
  constructor(kind: IpmiErrorKind, message: string) {
    super(message)
    this.name = 'IpmiError'
    this.kind = kind
  }
}

export interface DcmiPowerReading {
  instantaneous_w: number
  minimum_w: number
  maximum_w: number
  average_w: number
  /** as ipmitool printed it */
  timestamp: string | null
  /** the BMC's statistics window for minimum / maximum / average (s) */
  sampling_period_sec: number | null
}

export function parseDcmiPowerReading(text: string): DcmiPowerReading {
  const num = (label: RegExp): number => {
    const m = label.exec(text)
    if (!m) throw new IpmiError('parse', `ipmitool dcmi power reading: no "${label.source.split('\\s')[0].replace(/\\/g, '')}..." line in its output: ${JSON.stringify(text.trim().slice(0, 200))}`)
    return Number(m[1])
  }
  const state = /Power reading state is:\s*(\w+)/.exec(text)?.[1]
  if (state === 'deactivated') throw new IpmiError('inactive', 'ipmitool dcmi power reading: the BMC says its power reading state is deactivated: it is not measuring power (enable it with `ipmitool dcmi power activate`)')
  const period = /Sampling period:\s*(\d+)\s*Seconds/.exec(text)
  return {
    instantaneous_w: num(/Instantaneous power reading:\s*(\d+)\s*Watts/),
    minimum_w: num(/Minimum during sampling period:\s*(\d+)\s*Watts/),
    maximum_w: num(/Maximum during sampling period:\s*(\d+)\s*Watts/),
    average_w: num(/Average power reading over sample period:\s*(\d+)\s*Watts/),
    timestamp: /IPMI timestamp:\s*(.*?)\s*(?:Sampling period:|\n|$)/.exec(text)?.[1] || null,
    sampling_period_sec: period ? Number(period[1]) : null,
  }
}

export interface IpmitoolOptions {
  /** the ipmitool executable */
  command: string
  /** a remote BMC; absent: this host's own (local interface) */
  host?: string
  interface: 'lanplus' | 'lan'
  userEnv: string
  passwordEnv: string
  timeoutMs: number
  env?: NodeJS.ProcessEnv
}

/** The arguments and environment of one reading: the password only in the child's IPMI_PASSWORD. */
export function ipmitoolInvocation(o: IpmitoolOptions): { args: string[]; env: NodeJS.ProcessEnv } {
  const base = o.env ?? process.env
  if (!o.host) return { args: ['dcmi', 'power', 'reading'], env: base }
  const user = base[o.userEnv]
  const password = base[o.passwordEnv]
  const missing = [user ? null : o.userEnv, password === undefined ? o.passwordEnv : null].filter(Boolean)
  if (missing.length) throw new IpmiError('credentials', `IPMI over the LAN: environment variable ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set (probes.ipmi.userEnv / passwordEnv name them)`)
  rememberSecret(password!)
  // IPMITOOL_PASSWORD takes precedence over IPMI_PASSWORD in ipmitool: clear it so ours is used
  const { IPMITOOL_PASSWORD: _ignored, ...rest } = base
  return { args: ['-I', o.interface, '-H', o.host, '-U', user!, '-E', 'dcmi', 'power', 'reading'], env: { ...rest, IPMI_PASSWORD: password } }
}

export function readDcmiPower(o: IpmitoolOptions): Promise<DcmiPowerReading> {
  let inv: ReturnType<typeof ipmitoolInvocation>
  try {
    inv = ipmitoolInvocation(o)
  } catch (e) {
    return Promise.reject(e)
  }
  return new Promise((resolve, reject) => {
    execFile(o.command, inv.args, { env: inv.env, timeout: o.timeoutMs, maxBuffer: 1 << 16, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number }
        if (e.code === 'ENOENT') return reject(new IpmiError('missing', `${o.command} not found: install ipmitool (or set probes.ipmi.command)`))
        if (e.killed) return reject(new IpmiError('timeout', `${o.command} dcmi power reading did not finish within ${o.timeoutMs} ms (probes.ipmi.timeoutMs)`))
        const why = String(stderr).trim().split('\n').filter(Boolean).slice(-2).join('; ')
        return reject(new IpmiError('command', `${o.command} dcmi power reading failed (exit ${e.code})${why ? `: ${why}` : ''}`))
      }
      try {
        resolve(parseDcmiPowerReading(stdout))
      } catch (pe) {
        reject(pe)
      }
    })
  })
}
