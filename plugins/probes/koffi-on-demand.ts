/**
 * koffi, loaded on first use. Importing it loads a native addon (about 20 ms here), and every probe
 * module is imported to check a plan's probe options (`llem list`, `llem bench --dry-run`), where no
 * library is opened: the NVML and AMD SMI bindings ask for it only when they load their library.
 * Through require, which returns at once: the callers are synchronous. koffi's CommonJS and ES entry
 * points load the same koffi.node (both through require), so its process-global type names are one set.
 */
import { createRequire } from 'node:module'
import type * as Koffi from 'koffi'

let loaded: typeof Koffi | undefined

export function koffiOnDemand(): typeof Koffi {
  return (loaded ??= createRequire(import.meta.url)('koffi') as typeof Koffi)
}
