/**
 * Finding and reading the TI INA3221 power monitors of an NVIDIA Jetson in sysfs (docs/references.md,
 * "NVIDIA Jetson power rails"). Two layouts, by driver:
 *
 *   L4T r32 and older (JetPack 4): NVIDIA's own iio driver `ina3221x`, channels 0-2
 *     <root>/ina3221x/<bus>-<addr>/iio:device<N>/rail_name_<k>       the rail's name
 *     <root>/ina3221x/<bus>-<addr>/iio:device<N>/in_power<k>_input   power, mW
 *   L4T r34 and later (JetPack 5, 6): the mainline hwmon driver `ina3221`, channels 1-3
 *     <root>/ina3221/<bus>-<addr>/hwmon/hwmon<N>/in<k>_label          the rail's name
 *     <root>/ina3221/<bus>-<addr>/hwmon/hwmon<N>/in<k>_input          bus voltage, mV
 *     <root>/ina3221/<bus>-<addr>/hwmon/hwmon<N>/curr<k>_input        current, mA
 *   (channel 7, "sum of shunt voltages", is not a rail; a channel labelled NC is not connected)
 *
 * <root> is /sys/bus/i2c/drivers; tests point it at a fake tree.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs'
import { join } from 'node:path'

export const DEFAULT_I2C_DRIVERS_ROOT = '/sys/bus/i2c/drivers'

export interface Rail {
  /** as the board names it (rail_name_<k> or in<k>_label): VDD_IN, VDD_GPU_SOC, GPU, ... */
  name: string
  /** the INA3221 on the I2C bus, `<bus>-<addr>` (1-0040) */
  sensor: string
  channel: number
  layout: 'iio' | 'hwmon'
  /** the files read for one power reading */
  files: string[]
}

const SENSOR = /^\d+-[0-9a-f]{4}$/

function list(dir: string): string[] {
  try {
    return readdirSync(dir).sort()
  } catch {
    return []
  }
}

function text(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch {
    return null
  }
}

/** Every connected rail of every INA3221 under root, in both layouts, sorted by sensor and channel. */
export function discoverRails(root: string = DEFAULT_I2C_DRIVERS_ROOT): Rail[] {
  const rails: Rail[] = []
  for (const sensor of list(join(root, 'ina3221x')).filter((e) => SENSOR.test(e))) {
    for (const dev of list(join(root, 'ina3221x', sensor)).filter((e) => /^iio:device\d+$/.test(e))) {
      const dir = join(root, 'ina3221x', sensor, dev)
      for (let k = 0; k < 3; k++) {
        const name = text(join(dir, `rail_name_${k}`))
        if (name && !isUnconnected(name)) rails.push({ name, sensor, channel: k, layout: 'iio', files: [join(dir, `in_power${k}_input`)] })
      }
    }
  }
  for (const sensor of list(join(root, 'ina3221')).filter((e) => SENSOR.test(e))) {
    for (const hw of list(join(root, 'ina3221', sensor, 'hwmon')).filter((e) => /^hwmon\d+$/.test(e))) {
      const dir = join(root, 'ina3221', sensor, 'hwmon', hw)
      for (let k = 1; k <= 3; k++) {
        const name = text(join(dir, `in${k}_label`))
        if (name && !isUnconnected(name)) rails.push({ name, sensor, channel: k, layout: 'hwmon', files: [join(dir, `in${k}_input`), join(dir, `curr${k}_input`)] })
      }
    }
  }
  return rails
}

/** NC (or NC1, NC_...) marks an INA3221 channel wired to nothing (AGX Orin's second monitor). */
function isUnconnected(name: string): boolean {
  return /^NC(\b|_|\d|$)/.test(name)
}

const scratch = Buffer.alloc(64)
/** open descriptors by file: a sysfs attribute is re-read from offset 0 (pread), one syscall a read */
const fds = new Map<string, number>()

function integer(file: string): number {
  let fd = fds.get(file)
  if (fd === undefined) {
    fd = openSync(file, 'r')
    fds.set(file, fd)
  }
  let n: number
  try {
    n = readSync(fd, scratch, 0, scratch.length, 0)
  } catch (e) {
    // the file went away or broke: forget the descriptor, so a later read opens it afresh
    closeSync(fd)
    fds.delete(file)
    throw e
  }
  const raw = scratch.toString('latin1', 0, n).trim()
  const v = Number(raw)
  if (raw === '' || !Number.isFinite(v)) throw new Error(`not a number in ${file}: ${JSON.stringify(raw)}`)
  return v
}

/** Closes the descriptors of these rails' files (a session's close). */
export function closeRails(rails: readonly Rail[]): void {
  for (const r of rails)
    for (const f of r.files) {
      const fd = fds.get(f)
      if (fd !== undefined) closeSync(fd)
      fds.delete(f)
    }
}

/** The rail's power in watts: in_power (mW) on iio; bus voltage (mV) x current (mA) on hwmon. Throws on a failed read. */
export function readRailW(rail: Rail): number {
  if (rail.layout === 'iio') return integer(rail.files[0]) / 1000
  return (integer(rail.files[0]) * integer(rail.files[1])) / 1e6
}
