/**
 * A small Redfish client: GET JSON over HTTPS from a BMC, with basic or session authentication and the
 * certificate checked by default. Credentials come from environment variables whose NAMES the options
 * give; only the names are ever recorded. Every failure is a RedfishError with a kind a person can act
 * on (the certificate, the credentials, a status code, a timeout, an answer that is not Redfish).
 *
 * Session authentication (Redfish specification DSP0266): POST {UserName, Password} to
 * /redfish/v1/SessionService/Sessions; the answer's X-Auth-Token header authenticates later requests
 * and its Location header is DELETEd at close. A 401 on a session token logs in again once.
 */
import { readFileSync } from 'node:fs'
import https from 'node:https'
import { rememberSecret } from 'llem/plugin/runtime'

export type RedfishErrorKind = 'credentials' | 'tls' | 'auth' | 'http' | 'timeout' | 'network' | 'schema' | 'config'

export class RedfishError extends Error {
  readonly kind: RedfishErrorKind
  readonly status: number | null
  constructor(kind: RedfishErrorKind, message: string, status: number | null = null) {
    super(message)
    this.name = 'RedfishError'
    this.kind = kind
    this.status = status
  }
}

export interface RedfishClientOptions {
  /** https://host[:port] of the BMC */
  url: string
  auth: 'basic' | 'session' | 'none'
  userEnv: string
  passwordEnv: string
  /** skip the certificate check (an explicit opt-out) */
  insecure: boolean
  /** a PEM file with the CA (or the BMC's own certificate) to trust */
  caFile?: string
  timeoutMs: number
  env?: NodeJS.ProcessEnv
}

/** node's TLS verification error codes: the certificate, not the network, is at fault */
const TLS_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE'])

export class RedfishClient {
  private readonly base: URL
  private readonly agent: https.Agent
  private readonly opts: RedfishClientOptions
  private token: string | null = null
  private sessionUri: string | null = null

  constructor(opts: RedfishClientOptions) {
    let base: URL
    try {
      base = new URL(opts.url)
    } catch {
      throw new RedfishError('config', `probes.redfish.url "${opts.url}" is not a URL (expected https://host[:port])`)
    }
    if (base.protocol !== 'https:') throw new RedfishError('config', `probes.redfish.url "${opts.url}" is not https: Redfish credentials are never sent in clear`)
    if (base.username || base.password) throw new RedfishError('config', 'probes.redfish.url carries credentials: name the environment variables that hold them in probes.redfish.userEnv / passwordEnv instead')
    this.base = base
    this.opts = opts
    let ca: Buffer | undefined
    if (opts.caFile) {
      try {
        ca = readFileSync(opts.caFile)
      } catch (e) {
        throw new RedfishError('config', `probes.redfish.caFile ${opts.caFile} cannot be read: ${(e as Error).message}`)
      }
    }
    // one kept-alive connection: a TLS handshake per poll would cost the BMC and us far more than the GET
    this.agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: !opts.insecure, ca })
  }

  private credentials(): { user: string; password: string } {
    const env = this.opts.env ?? process.env
    const user = env[this.opts.userEnv]
    const password = env[this.opts.passwordEnv]
    const missing = [user === undefined || user === '' ? this.opts.userEnv : null, password === undefined ? this.opts.passwordEnv : null].filter(Boolean)
    if (missing.length) throw new RedfishError('credentials', `Redfish credentials: environment variable ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set (probes.redfish.userEnv / passwordEnv name them)`)
    // masked wherever it might turn up (a BMC echoing it in an error, a log line)
    rememberSecret(password!)
    return { user: user!, password: password! }
  }

  private authHeader(): Record<string, string> {
    if (this.opts.auth === 'none') return {}
    if (this.opts.auth === 'session') return this.token ? { 'X-Auth-Token': this.token } : {}
    const { user, password } = this.credentials()
    return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }
  }

  private request(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    const url = new URL(path, this.base)
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return new Promise((resolve, reject) => {
      const req = https.request(url, {
        method, agent: this.agent, timeout: this.opts.timeoutMs,
        headers: { Accept: 'application/json', 'OData-Version': '4.0', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}), ...(path.includes('SessionService/Sessions') && method === 'POST' ? {} : this.authHeader()) },
      }, (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > 4 << 20) req.destroy(new RedfishError('schema', `${url.pathname}: the answer is over 4 MiB, not a Redfish resource`))
          else chunks.push(c)
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }))
        res.on('error', reject)
      })
      req.on('timeout', () => req.destroy(new RedfishError('timeout', `${url.pathname}: the BMC did not answer within ${this.opts.timeoutMs} ms (probes.redfish.timeoutMs)`)))
      req.on('error', (e: NodeJS.ErrnoException) => reject(this.classify(e, url)))
      req.end(payload)
    })
  }

  private classify(e: NodeJS.ErrnoException, url: URL): RedfishError {
    if (e instanceof RedfishError) return e
    if (e.code && TLS_CODES.has(e.code))
      return new RedfishError('tls', `${url.host}: the BMC's certificate is not trusted (${e.code}: ${e.message}): give its CA with probes.redfish.caFile, or set probes.redfish.insecure: true to skip the check`)
    return new RedfishError('network', `${url.host}: ${e.code ? `${e.code}: ` : ''}${e.message}`)
  }

  private async login(): Promise<void> {
    const { user, password } = this.credentials()
    const res = await this.request('POST', '/redfish/v1/SessionService/Sessions', { UserName: user, Password: password })
    if (res.status === 401 || res.status === 403) throw new RedfishError('auth', `Redfish session login refused (HTTP ${res.status}): check the credentials in ${this.opts.userEnv} / ${this.opts.passwordEnv}`, res.status)
    const token = res.headers['x-auth-token']
    if (res.status >= 300 || typeof token !== 'string') throw new RedfishError('http', `Redfish session login: HTTP ${res.status}${typeof token === 'string' ? '' : ', no X-Auth-Token header'}`, res.status)
    this.token = token
    this.sessionUri = typeof res.headers.location === 'string' ? res.headers.location : null
  }

  /** GET a resource as JSON. */
  async get(path: string): Promise<Record<string, unknown>> {
    if (this.opts.auth === 'session' && !this.token) await this.login()
    let res = await this.request('GET', path)
    if (res.status === 401 && this.opts.auth === 'session') {
      // the session expired on the BMC: one new login, then the request again
      this.token = null
      await this.login()
      res = await this.request('GET', path)
    }
    if (res.status === 401 || res.status === 403)
      throw new RedfishError('auth', `${path}: HTTP ${res.status}: the BMC refused the credentials${this.opts.auth === 'none' ? ' (probes.redfish.auth is none)' : ` from ${this.opts.userEnv} / ${this.opts.passwordEnv}`}`, res.status)
    if (res.status < 200 || res.status >= 300) throw new RedfishError('http', `${path}: HTTP ${res.status}${redfishMessage(res.text)}`, res.status)
    try {
      const json = JSON.parse(res.text) as unknown
      if (json && typeof json === 'object' && !Array.isArray(json)) return json as Record<string, unknown>
    } catch {
      /* reported below */
    }
    throw new RedfishError('schema', `${path}: the answer is not a JSON object`)
  }

  async close(): Promise<void> {
    if (this.sessionUri) await this.request('DELETE', this.sessionUri).catch(() => {})
    this.sessionUri = null
    this.token = null
    this.agent.destroy()
  }
}

/** The first message of a Redfish error body ({error: {message, @Message.ExtendedInfo}}), for the reason. */
function redfishMessage(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { message?: unknown; '@Message.ExtendedInfo'?: { Message?: unknown }[] } }).error
    const m = e?.['@Message.ExtendedInfo']?.[0]?.Message ?? e?.message
    return typeof m === 'string' ? `: ${m.slice(0, 200)}` : ''
  } catch {
    return ''
  }
}
