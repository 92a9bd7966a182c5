/**
 * Where a BMC's Redfish service keeps the node's power, and how to read it (DMTF Redfish schemas,
 * docs/references.md#redfish):
 * - EnvironmentMetrics (Chassis v1_15 and later link it as Chassis/{id}/EnvironmentMetrics):
 *   PowerWatts.Reading (W) and, when the BMC keeps one, an energy total: EnergyJoules.Reading (J,
 *   v1_2) or EnergykWh.Reading (kWh). Each excerpt may name its Sensor in DataSourceUri, whose
 *   SensingInterval (ISO 8601 duration) and Precision say how often and how finely it reads.
 * - Power (deprecated, still the one most BMCs serve): PowerControl[n].PowerConsumedWatts, with
 *   PowerMetrics.IntervalInMin / Min / Max / AverageConsumedWatts over the BMC's averaging window.
 */
import type { NodeReading } from './node-sampler.js'
import { RedfishError, type RedfishClient } from './redfish-client.js'

export type RedfishSchema = 'EnvironmentMetrics' | 'Power'

export interface RedfishSource {
  schema: RedfishSchema
  chassis: string
  /** the resource polled */
  path: string
  /** what the BMC says about its own reading (recorded in the result's environment) */
  details: Record<string, unknown>
  /** how often the power sensor reads (ms), when the BMC says */
  sensingIntervalMs: number | null
  /** the BMC's averaging window for its min/max/average figures (s), when it says */
  averagingIntervalSec: number | null
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null)
const link = (v: unknown): string | null => {
  const id = obj(v)?.['@odata.id']
  return typeof id === 'string' ? id : null
}

/** ISO 8601 duration as Redfish writes it (PT0.25S, PT1M, P1DT2H) -> ms; null when it is not one. */
export function isoDurationMs(s: unknown): number | null {
  if (typeof s !== 'string') return null
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s)
  if (!m || s === 'P' || s.endsWith('T')) return null
  const [, d, h, min, sec] = m
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60000 + Number(sec ?? 0) * 1000
}

/** One reading from an EnvironmentMetrics resource; null when it carries no power reading. */
export function readEnvironmentMetrics(json: Record<string, unknown>): NodeReading | null {
  const power = obj(json.PowerWatts)?.Reading
  if (!isNum(power)) return null
  const joules = obj(json.EnergyJoules)?.Reading
  const kwh = obj(json.EnergykWh)?.Reading
  // joules first: the finer of the two where a BMC keeps both
  const counter = isNum(joules) ? joules : isNum(kwh) ? kwh * 3.6e6 : null
  return { power_w: power, counter_j: counter }
}

/** One reading from a Power resource's PowerControl entry; null when it has no PowerConsumedWatts. */
export function readPowerControl(json: Record<string, unknown>, member = 0): NodeReading | null {
  const list = json.PowerControl
  const entry = Array.isArray(list) ? obj(list[member]) : null
  const w = entry?.PowerConsumedWatts
  return isNum(w) ? { power_w: w, counter_j: null } : null
}

export function readSource(source: RedfishSource, json: Record<string, unknown>): NodeReading {
  const r = source.schema === 'EnvironmentMetrics' ? readEnvironmentMetrics(json) : readPowerControl(json)
  if (!r) throw new RedfishError('schema', `${source.path}: no ${source.schema === 'EnvironmentMetrics' ? 'PowerWatts.Reading' : 'PowerControl[0].PowerConsumedWatts'} in the answer`)
  return r
}

async function sensorDetails(client: RedfishClient, excerpt: unknown): Promise<Record<string, unknown> | null> {
  const uri = obj(excerpt)?.DataSourceUri
  if (typeof uri !== 'string') return null
  try {
    const s = await client.get(uri)
    const pick = ['ReadingType', 'ReadingUnits', 'SensingInterval', 'Precision', 'ReadingAccuracy', 'Accuracy', 'ReadingTime', 'Implementation', 'ElectricalContext']
    return { uri, ...Object.fromEntries(pick.filter((k) => s[k] !== undefined).map((k) => [k, s[k]])) }
  } catch (e) {
    return { uri, error: e instanceof Error ? e.message : String(e) }
  }
}

/**
 * Finds the chassis and resource that report the node's power: the configured chassis, else each
 * member of /redfish/v1/Chassis in order; EnvironmentMetrics before Power unless `schema` names one.
 */
export async function discoverSource(client: RedfishClient, opts: { chassis?: string; schema: 'auto' | RedfishSchema }): Promise<RedfishSource> {
  let members: string[]
  if (opts.chassis) members = [`/redfish/v1/Chassis/${encodeURIComponent(opts.chassis)}`]
  else {
    const coll = await client.get('/redfish/v1/Chassis')
    members = (Array.isArray(coll.Members) ? coll.Members : []).map(link).filter((x): x is string => x !== null)
    if (members.length === 0) throw new RedfishError('schema', '/redfish/v1/Chassis lists no chassis')
  }
  const tried: string[] = []
  for (const path of members) {
    const chassis = await client.get(path)
    const id = typeof chassis.Id === 'string' ? chassis.Id : path.split('/').pop()!
    const em = link(chassis.EnvironmentMetrics)
    if (em && opts.schema !== 'Power') {
      const json = await client.get(em)
      if (readEnvironmentMetrics(json)) {
        const power = await sensorDetails(client, json.PowerWatts)
        const energy = await sensorDetails(client, json.EnergyJoules ?? json.EnergykWh)
        const energyProperty = isNum(obj(json.EnergyJoules)?.Reading) ? 'EnergyJoules' : isNum(obj(json.EnergykWh)?.Reading) ? 'EnergykWh' : null
        return {
          schema: 'EnvironmentMetrics', chassis: id, path: em,
          details: { energy_property: energyProperty, power_sensor: power, energy_sensor: energy },
          sensingIntervalMs: isoDurationMs(power?.SensingInterval), averagingIntervalSec: null,
        }
      }
      tried.push(`${em} (no PowerWatts.Reading)`)
    } else if (opts.schema !== 'Power') tried.push(`${path} (no EnvironmentMetrics link)`)
    const pw = link(chassis.Power)
    if (pw && opts.schema !== 'EnvironmentMetrics') {
      const json = await client.get(pw)
      if (readPowerControl(json)) {
        const pc = obj((json.PowerControl as unknown[])[0])!
        const metrics = obj(pc.PowerMetrics)
        const minutes = metrics?.IntervalInMin
        return {
          schema: 'Power', chassis: id, path: pw,
          details: { power_control: typeof pc.Name === 'string' ? pc.Name : null, power_metrics: metrics },
          sensingIntervalMs: null, averagingIntervalSec: isNum(minutes) ? minutes * 60 : null,
        }
      }
      tried.push(`${pw} (no PowerControl[0].PowerConsumedWatts)`)
    } else if (opts.schema !== 'EnvironmentMetrics') tried.push(`${path} (no Power link)`)
  }
  throw new RedfishError('schema', `no chassis reports the node's power: ${tried.join('; ')}`)
}
