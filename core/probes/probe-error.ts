/**
 * The failure of a probe's own hardware interface (a vendor library's call returned an error, or the
 * library could not be loaded). Raised inside a probe, it marks the error as the probe's, so a result
 * records PROBE_FAILED rather than blaming the backend; the vendor's code and its name stay in the
 * subclass (NvmlError, AmdSmiError) and in the message.
 */
const BRAND = Symbol.for('llem.probe-error')

export class ProbeError extends Error {
  /** the probe that failed ('nvml', 'amdsmi', ...) */
  readonly probe: string
  constructor(probe: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ProbeError'
    this.probe = probe
    Object.defineProperty(this, BRAND, { value: true })
  }
}

/** true for a ProbeError, also one from another copy of llem (a plugin that bundles its own) */
export function isProbeError(e: unknown): e is ProbeError {
  return e instanceof ProbeError || (typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true)
}
