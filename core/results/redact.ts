/**
 * Secrets never leave llem: one redaction pass (`redactSecrets` for values, `redactText` for lines)
 * runs at every exit point (raw/, aggregated/, the manifest, logs/, every reporter's output, the
 * console, `llem list --json`). It works two ways, because a secret can reach an output by its name
 * or by itself:
 *  - by name: values under keys named like KEY / TOKEN / SECRET / PASSWORD / AUTH (nested ones, arrays
 *    under such names, plural names such as api_keys), values of secret flags (`--api-key X`,
 *    `--hf-token=X`) in argv-like string arrays and text, `NAME=value` assignments with a secret name
 *    (setup lines), `"api_key": "..."` in JSON text, `Bearer ...`, and the user:password@ part of URLs;
 *  - by value: every secret found by name (and every secret-named environment variable of this
 *    process, HF_TOKEN, OPENAI_API_KEY) is remembered, and any later occurrence of that exact string,
 *    in a server's output or an error message, is replaced too.
 * `apiKeyEnv` holds the NAME of a variable, not a secret, and is kept. See docs/security.md.
 */
const SECRET_WORDS = new Set(['key', 'apikey', 'token', 'secret', 'password', 'passwd', 'credential', 'credentials', 'auth', 'authorization', 'cookie'])
/** plural forms: alone (`tokens`) or after a qualifier (`api_keys`), so `maxTokens` stays a count */
const PLURAL_WORDS = new Set(['keys', 'tokens', 'secrets', 'passwords', 'apikeys'])
const PLURAL_QUALIFIERS = new Set(['api', 'access', 'auth', 'bearer', 'hf', 'private', 'secret', 'session', 'refresh', 'id'])
export const REDACTED = '[redacted]'
/** shorter strings are not searched for by value: masking "abc" everywhere would garble results */
const MIN_KNOWN_LENGTH = 6

const wordsOf = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean)
// a result has the same few hundred key names thousands of times over: each is split once
const wordCache = new Map<string, string[]>()
const words = (name: string) => {
  let w = wordCache.get(name)
  if (w === undefined) {
    w = wordsOf(name)
    if (wordCache.size < 50_000) wordCache.set(name, w)
  }
  return w
}

/** By whole words of the name (HF_TOKEN, apiKey, db-password), so maxTokens or inputTokens are not,
 *  nor a unit "per token" (energy_per_token, time_per_output_token: a figure or the field that holds one). */
export function isSecretName(name: string): boolean {
  if (/Env$/.test(name)) return false
  const w = words(name)
  return w.some((x, i) => SECRET_WORDS.has(x) && !(x === 'token' && (w[i - 1] === 'per' || (w[i - 2] === 'per' && /^(output|input|generated)$/.test(w[i - 1] ?? '')))))
}

/** `tokens`, `api_keys`, `HF_TOKENS`: a list of secrets (a number under such a name is a count). */
export function isSecretListName(name: string): boolean {
  if (/Env$/.test(name)) return false
  const w = words(name)
  const last = w.at(-1)
  if (!last || !PLURAL_WORDS.has(last)) return false
  return w.length === 1 || w.slice(0, -1).every((q) => PLURAL_QUALIFIERS.has(q))
}

const known = new Set<string>()
let knownSorted: string[] | null = null
/** counts the secrets learnt: a memo of masked objects holds only while it is unchanged */
let knownVersion = 0
let envRead = false

/** How many secrets have been learnt: masked text made earlier holds while this is unchanged. */
export function secretsLearnt(): number {
  return knownVersion
}

/** Remember a secret value: from now on it is masked wherever it appears. */
export function rememberSecret(value: string): void {
  if (value.length < MIN_KNOWN_LENGTH || value === REDACTED || known.has(value)) return
  known.add(value)
  knownSorted = null
  knownVersion++
}

/** This process's secret-named environment variables (read once): a server or worker may echo them. */
function rememberEnvironment(): void {
  if (envRead) return
  envRead = true
  for (const [k, v] of Object.entries(process.env)) if (v && isSecretName(k)) rememberSecret(v)
}

const unquote = (v: string) => (/^(["']).*\1$/s.test(v) ? v.slice(1, -1) : v)
// `--api-key X`, `--hf-token=X`, `-token X`; the value may be quoted
const FLAG_RE = /(^|\s)(--?[A-Za-z][\w.-]*)(=|\s+)("[^"]*"|'[^']*'|[^\s"'-][^\s"']*)/g
// `HF_TOKEN=x`, `export OPENAI_API_KEY="x"` (a setup line, a server's log), `?api_key=x` in a URL
const ASSIGN_RE = /(^|[\s;&|(?])([A-Za-z_][\w.]*)=("[^"]*"|'[^']*'|[^\s"';&|]+)/g
// `"api_key": "x"` in JSON text (a server's error body, a JSON-valued flag)
const JSON_RE = /"([^"\\]+)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g
const BEARER_RE = /\b(Bearer|Basic|Token)\s+([A-Za-z0-9._~+/=-]{6,})/g
// scheme://user:password@host: the whole user part goes, up to the last '@' before the host (a URL
// parser takes an unencoded '@' in a password as part of it: http://u:p@ss@host is the password "p@ss")
const URL_CRED_RE = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"']+)@/gi

/**
 * An HTTP Authorization credential (`Bearer x`, `Basic x`) is remembered, to mask its echoes, only
 * when it looks like one: 8 characters or more with a digit, an upper-case letter after the first, or
 * punctuation. Prose after the same words ("Basic authentication failed", "Token usage.total") is
 * masked where it stands, but remembering it would mask those words everywhere.
 */
const looksLikeCredential = (scheme: string, t: string): boolean => scheme !== 'Token' && t.length >= 8 && /[0-9._~+/=-]|.[A-Z]/.test(t)

/** FLAG_RE's precondition: a '-' that starts the text or follows white space (ids and names of
 *  experiments have dashes, but no flags: the regular expression need not scan them) */
const mayHoldFlag = (s: string): boolean => s.charCodeAt(0) === 45 || (s.includes('-') && /\s-/.test(s))

/** Remember the secrets a line shows by name (flags, assignments, JSON keys, URL credentials). */
function rememberFromText(s: string): void {
  // each pattern needs a character most text (prompts, names, numbers as text) lacks: checked first
  if (mayHoldFlag(s)) for (const m of s.matchAll(FLAG_RE)) if (isSecretName(m[2].replace(/^-+/, ''))) rememberSecret(unquote(m[4]))
  if (s.includes('=')) for (const m of s.matchAll(ASSIGN_RE)) if (isSecretName(m[2])) rememberSecret(unquote(m[3]))
  if (s.includes('"')) for (const m of s.matchAll(JSON_RE)) if (isSecretName(m[1]) || isSecretListName(m[1])) rememberSecret(m[3])
  if (/Bearer|Basic|Token/.test(s)) for (const m of s.matchAll(BEARER_RE)) if (looksLikeCredential(m[1], m[2])) rememberSecret(m[2])
  if (s.includes('://'))
    for (const m of s.matchAll(URL_CRED_RE)) {
      rememberSecret(m[2])
      const colon = m[2].indexOf(':')
      if (colon >= 0) rememberSecret(m[2].slice(colon + 1))
    }
}

// results repeat the same text (a prompt per request, an error per failed request): each is masked
// once while the set of known secrets stays the same
const masked = new Map<string, string>()

/** One line of text (a log line, an error message, a setup line) with every secret masked. */
export function redactText(s: string): string {
  rememberEnvironment()
  rememberFromText(s)
  return maskText(s)
}

/** redactText for a line whose secrets by name were learnt already (redactSecrets after rememberSecrets
 *  on the same value): the same masking, without searching the line for them a second time */
function maskText(s: string): string {
  if (knownSorted === null) {
    knownSorted = [...known].sort((a, b) => b.length - a.length)
    masked.clear()
  }
  const hit = masked.get(s)
  if (hit !== undefined) return hit
  let out = s
  for (const k of knownSorted) if (out.includes(k)) out = out.split(k).join(REDACTED)
  if (out.includes('://')) out = out.replace(URL_CRED_RE, `$1${REDACTED}@`)
  if (/Bearer|Basic|Token/.test(out)) out = out.replace(BEARER_RE, `$1 ${REDACTED}`)
  if (mayHoldFlag(out)) out = out.replace(FLAG_RE, (all, pre: string, flag: string, sep: string) => (isSecretName(flag.replace(/^-+/, '')) ? `${pre}${flag}${sep}${REDACTED}` : all))
  if (out.includes('=')) out = out.replace(ASSIGN_RE, (all, pre: string, name: string) => (isSecretName(name) ? `${pre}${name}=${REDACTED}` : all))
  if (out.includes('"')) out = out.replace(JSON_RE, (all, name: string, sep: string) => (isSecretName(name) || isSecretListName(name) ? `"${name}"${sep}"${REDACTED}"` : all))
  if (masked.size > 10_000) masked.clear()
  masked.set(s, out)
  return out
}

/**
 * The first `max` characters of `text`, secrets masked: masked first and cut after, so a cut never
 * leaves the start of a secret (or a `"api_key": "…` whose closing quote it cut off) in the clear.
 * Only what lies just past the cut can complete a pattern there: a few KiB of it are searched.
 */
export function redactedPrefix(text: string, max: number): string {
  return redactText(text.length > max + 4096 ? text.slice(0, max + 4096) : text).slice(0, max)
}

const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}
/** argv-like: the element after a secret flag (`--api-key`, `--hf-token`) is a secret */
function secretFlagValues(list: unknown[]): Set<number> {
  const at = new Set<number>()
  for (let i = 0; i + 1 < list.length; i++) {
    const a = list[i]
    if (typeof a === 'string' && /^--?[A-Za-z][\w.-]*$/.test(a) && isSecretName(a.replace(/^-+/, '').split('.').pop()!) && typeof list[i + 1] === 'string') at.add(i + 1)
  }
  return at
}

/** Under a secret name, the strings (alone or in a list) are secrets. Only strings: a number under a
 *  name with "token" in it is a count or a metric (energy_per_token_j), never a credential. */
const namedSecret = (key: string, v: unknown) => {
  // the value's type first: most values are numbers or objects, and the name's words cost more
  if (typeof v !== 'string' && !Array.isArray(v)) return false
  const leaf = key.split('.').pop()!
  return isSecretName(leaf) || isSecretListName(leaf)
}

/** First pass: remember every secret the value holds, so the second pass masks its echoes too. */
function remember(value: unknown, secret = false, seen?: WeakSet<object>): void {
  if (typeof value === 'string') {
    if (secret) rememberSecret(value)
    else rememberFromText(value)
  } else if (Array.isArray(value)) {
    const flagged = secretFlagValues(value)
    value.forEach((v, i) => remember(v, (secret && typeof v === 'string') || flagged.has(i), seen))
  } else if (isPlain(value)) {
    // a plain object's secrets do not depend on where it sits (`secret` only marks strings)
    if (seen?.has(value)) return
    seen?.add(value)
    for (const [k, v] of Object.entries(value)) {
      // apiKeyEnv names a variable, whatever its name: its value is a secret
      if (/KeyEnv$/i.test(k) && typeof v === 'string' && process.env[v]) rememberSecret(process.env[v]!)
      remember(v, namedSecret(k, v), seen)
    }
  }
}

// llem's own identifiers name files (raw/<experiment_id>/): a short secret that happens to occur in a
// hash must not rename them
const IDENTITY = new Set(['experiment_id', 'run_id', 'task_hash'])

// `text`: how a string not secret by its place is masked (redactText, or maskText when remembered)
function redact(value: unknown, secret: boolean, memo: WeakMap<object, unknown> | undefined, text: (s: string) => string): unknown {
  if (typeof value === 'string') return secret ? REDACTED : text(value)
  if (Array.isArray(value)) {
    const flagged = secretFlagValues(value)
    return value.map((v, i) => redact(v, flagged.has(i) || (secret && typeof v === 'string'), memo, text))
  }
  if (isPlain(value)) {
    const hit = memo?.get(value)
    if (hit !== undefined) return hit
    const out = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, IDENTITY.has(k) && typeof v === 'string' ? v : redact(v, namedSecret(k, v), memo, text)]))
    memo?.set(value, out)
    return out
  }
  return value
}

/**
 * For a caller that redacts many values sharing (unchanged) objects, such as the experiments of a
 * sweep sharing their config sections: each shared object is searched and masked once. Its masked
 * copies are shared by the outputs too (for writing out, not for changing), and are dropped
 * whenever a new secret is learnt.
 */
export class RedactMemo {
  readonly seen = new WeakSet<object>()
  out = new WeakMap<object, unknown>()
  version = -1
}

/** Learns the secrets `value` holds without copying it: a document redacted in parts masks, in every
 *  part, the secrets of all of them once each part was passed here first (list --json). */
export function rememberSecrets(value: unknown, memo?: RedactMemo): void {
  rememberEnvironment()
  remember(value, false, memo?.seen)
}

/** A copy of `value` with every secret masked (by name and by value); non-plain objects pass as they are. */
export function redactSecrets<T>(value: T, memo?: RedactMemo, opts: { remembered?: boolean } = {}): T {
  rememberEnvironment()
  // `remembered`: the caller passed this value (the same content) to rememberSecrets already (a document written in
  // parts searches every part first): its secrets are known, and a second search finds nothing new
  if (!opts.remembered) remember(value, false, memo?.seen)
  if (memo && memo.version !== knownVersion) {
    memo.out = new WeakMap()
    memo.version = knownVersion
  }
  // remembered: every string redact() masks as text went through rememberFromText in remember() (the
  // same places: a string under a secret name or after a secret flag is masked whole by both passes)
  return redact(value, false, memo?.out, opts.remembered ? maskText : redactText) as T
}

/**
 * One entry of an object, `key: value`, as rememberSecrets and then redactSecrets(…, { remembered })
 * treat it inside that object, without the object: a caller writing many small objects field by field
 * (list --json's rows) would otherwise build each one, and its masked copy, only to take it apart.
 */
export function rememberEntry(key: string, value: unknown, memo: RedactMemo): void {
  rememberEnvironment()
  if (/KeyEnv$/i.test(key) && typeof value === 'string' && process.env[value]) rememberSecret(process.env[value]!)
  remember(value, namedSecret(key, value), memo.seen)
}

/** The masked form of an entry whose secrets rememberEntry learnt (the same key and value). */
export function maskRememberedEntry(key: string, value: unknown, memo: RedactMemo): unknown {
  rememberEnvironment()
  if (memo.version !== knownVersion) {
    memo.out = new WeakMap()
    memo.version = knownVersion
  }
  return IDENTITY.has(key) && typeof value === 'string' ? value : redact(value, namedSecret(key, value), memo.out, maskText)
}

/** Provenance keyed by dotted path: a secret leaf keeps its source but not its value. */
export function redactProvenance<T extends Record<string, { value: unknown }>>(p: T): T {
  // the dotted key's last part names the value, as in a config object
  const values = redactSecrets(Object.fromEntries(Object.entries(p).map(([k, e]) => [k, e.value])))
  return Object.fromEntries(Object.entries(p).map(([k, e]) => [k, { ...e, value: values[k] }])) as T
}

/** argv as typed, with the value of any secret-named flag hidden, JSON-valued flags redacted inside. */
export function redactArgv(argv: string[]): string[] {
  rememberEnvironment()
  const out = [...argv]
  for (let i = 0; i < out.length; i++) {
    const m = /^--([^=]+)(=.*)?$/.exec(out[i])
    if (m && isSecretName(m[1].split('.').pop()!)) {
      if (m[2] !== undefined) {
        rememberSecret(m[2].slice(1))
        out[i] = `--${m[1]}=${REDACTED}`
      } else if (i + 1 < out.length && !out[i + 1].startsWith('--')) {
        rememberSecret(out[i + 1])
        out[++i] = REDACTED
      }
      continue
    }
    out[i] = redactJsonArg(out[i])
  }
  return out.map(redactText)
}

/** `--backend.extraBody={"api_key":"x"}` or a bare JSON value: parsed, redacted by name, re-serialised. */
function redactJsonArg(arg: string): string {
  const m = /^(--[^=]+=)?([[{][\s\S]*)$/.exec(arg)
  if (!m) return arg
  try {
    return (m[1] ?? '') + JSON.stringify(redactSecrets(JSON.parse(m[2])))
  } catch {
    return arg
  }
}
