/**
 * Secrets never reach results or logs: values under keys named like KEY / TOKEN / SECRET / PASSWORD
 * (a server's `env: { HF_TOKEN }`, `--backend.env.HF_TOKEN=...`) are replaced before anything is
 * written. `apiKeyEnv` holds the NAME of a variable, not a secret, and is kept.
 */
const SECRET_WORDS = new Set(['key', 'apikey', 'token', 'secret', 'password', 'passwd', 'credential', 'credentials', 'auth', 'authorization'])
export const REDACTED = '[redacted]'

/** By whole words of the name (HF_TOKEN, apiKey, db-password), so maxTokens or inputTokens are not. */
export function isSecretName(name: string): boolean {
  if (/Env$/.test(name)) return false
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/)
  return words.some((w) => SECRET_WORDS.has(w))
}

export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redactSecrets) as T
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretName(k.split('.').pop()!) && (typeof v !== 'object' || v === null) ? REDACTED : redactSecrets(v)])) as T
  return value
}

/** Provenance keyed by dotted path: a secret leaf keeps its source but not its value. */
export function redactProvenance<T extends Record<string, { value: unknown }>>(p: T): T {
  return Object.fromEntries(Object.entries(p).map(([k, e]) => [k, isSecretName(k.split('.').pop()!) ? { ...e, value: REDACTED } : { ...e, value: redactSecrets(e.value) }])) as T
}

/** argv as typed, with the value of any secret-named flag hidden. */
export function redactArgv(argv: string[]): string[] {
  const out = [...argv]
  for (let i = 0; i < out.length; i++) {
    const m = /^--([^=]+)(=.*)?$/.exec(out[i])
    if (!m || !isSecretName(m[1].split('.').pop()!)) continue
    if (m[2] !== undefined) out[i] = `--${m[1]}=${REDACTED}`
    else if (i + 1 < out.length && !out[i + 1].startsWith('--')) out[++i] = REDACTED
  }
  return out
}
