/**
 * The Redfish client against a scripted HTTPS BMC: the certificate is checked by default (a self-signed
 * one is refused with a message saying what to do), the explicit opt-out and a CA file both work,
 * basic and session authentication, credentials only from the named environment variables, a slow
 * BMC past the timeout, and error codes, each as a RedfishError of its own kind.
 */
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedfishClient, RedfishError, type RedfishClientOptions } from '../plugins/probes/bmc/redfish-client.js'
import { redfishProbe } from '../plugins/probes/bmc/redfish.js'
import { startRedfishServer, type RedfishServer } from './fixtures/redfish-server.js'
import { requireTool } from './fixtures/required-tool.js'

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()
const ok = requireTool('redfish-client', hasOpenssl, 'openssl is not installed', 'apt-get install openssl')

const ENV = { RF_USER: 'admin', RF_PASS: 'not-a-real-secret' }

describe.skipIf(!ok)('Redfish client', () => {
  let bmc: RedfishServer
  beforeAll(async () => {
    bmc = await startRedfishServer({ user: 'admin', password: 'not-a-real-secret' })
  })
  afterAll(() => bmc?.close())
  const make = (o: Partial<RedfishClientOptions> = {}) => new RedfishClient({ url: bmc.url, auth: 'basic', userEnv: 'RF_USER', passwordEnv: 'RF_PASS', insecure: false, timeoutMs: 2000, env: ENV, ...o })
  const failure = async (p: Promise<unknown>): Promise<RedfishError> => {
    const e = await p.then(() => null, (x: unknown) => x)
    expect(e).toBeInstanceOf(RedfishError)
    return e as RedfishError
  }

  it('refuses a self-signed certificate by default, saying how to trust it', async () => {
    const c = make()
    const e = await failure(c.get('/redfish/v1/Chassis'))
    await c.close()
    expect(e.kind).toBe('tls')
    expect(e.message).toMatch(/not trusted.*SELF_SIGNED.*caFile.*insecure: true/)
  })

  it('reads with the check switched off explicitly, or with the certificate given as the CA', async () => {
    for (const c of [make({ insecure: true }), make({ caFile: bmc.certFile })]) {
      const chassis = await c.get('/redfish/v1/Chassis')
      await c.close()
      expect(chassis.Members).toEqual([{ '@odata.id': '/redfish/v1/Chassis/1U' }])
    }
    expect(bmc.requests.filter((r) => r.path === '/redfish/v1/Chassis').every((r) => r.auth === 'basic')).toBe(true)
  })

  it('names the missing environment variable, and a refused password, without sending anything on a missing one', async () => {
    const before = bmc.requests.length
    const e1 = await failure(make({ caFile: bmc.certFile, env: { RF_USER: 'admin' } }).get('/redfish/v1/Chassis'))
    expect(e1.kind).toBe('credentials')
    expect(e1.message).toMatch(/RF_PASS is not set/)
    expect(bmc.requests.length).toBe(before)
    const e2 = await failure(make({ caFile: bmc.certFile, env: { RF_USER: 'admin', RF_PASS: 'wrong' } }).get('/redfish/v1/Chassis'))
    expect(e2.kind).toBe('auth')
    expect(e2.status).toBe(401)
    expect(e2.message).toMatch(/RF_USER \/ RF_PASS/)
    expect(e2.message).not.toMatch(/wrong/)
  })

  it('session authentication: logs in once, uses the token, logs in again when it expires, deletes the session at close', async () => {
    bmc.script.auth = 'session'
    try {
      const c = make({ caFile: bmc.certFile, auth: 'session' })
      await c.get('/redfish/v1/Chassis')
      await c.get('/redfish/v1/Chassis/1U')
      bmc.expireSessions()
      await c.get('/redfish/v1/Chassis/1U')
      await c.close()
      const logins = bmc.requests.filter((r) => r.method === 'POST')
      expect(logins.length).toBe(2)
      expect(bmc.requests.filter((r) => r.method === 'GET').slice(-4).map((r) => r.auth)).toEqual(['token', 'token', 'token', 'token'])
      expect(bmc.sessionsDeleted).toBe(1)
    } finally {
      bmc.script.auth = 'basic'
    }
  })

  it('a slow BMC past the timeout and an error status are failures of their own kind', async () => {
    bmc.script.delayMs = 600
    const e = await failure(make({ caFile: bmc.certFile, timeoutMs: 200 }).get('/redfish/v1/Chassis'))
    bmc.script.delayMs = 0
    expect(e.kind).toBe('timeout')
    expect(e.message).toMatch(/200 ms/)
    bmc.script.failStatus = 503
    const e2 = await failure(make({ caFile: bmc.certFile }).get('/redfish/v1/Chassis/1U/EnvironmentMetrics'))
    bmc.script.failStatus = null
    expect(e2.kind).toBe('http')
    expect(e2.message).toMatch(/HTTP 503: scripted 503/)
    const e3 = await failure(make({ caFile: bmc.certFile }).get('/redfish/v1/Nothing'))
    expect(e3.status).toBe(404)
  })

  it('refuses plain http and a URL carrying credentials before connecting', () => {
    expect(() => make({ url: 'http://127.0.0.1:1' })).toThrow(/not https/)
    expect(() => make({ url: 'https://u:p@127.0.0.1:1' })).toThrow(/carries credentials/)
  })

  it('the probe reports the certificate failure as its reason, and availability once trusted', async () => {
    process.env.RF_USER = ENV.RF_USER
    process.env.RF_PASS = ENV.RF_PASS
    try {
      const refused = await redfishProbe.available({ url: bmc.url, userEnv: 'RF_USER', passwordEnv: 'RF_PASS' })
      expect(refused.available).toBe(false)
      expect(refused.reason).toMatch(/certificate is not trusted/)
      const fine = await redfishProbe.available({ url: bmc.url, userEnv: 'RF_USER', passwordEnv: 'RF_PASS', caFile: bmc.certFile })
      expect(fine.reason).toMatch(/chassis 1U: EnvironmentMetrics 400 W, energy counter EnergykWh/)
      expect(fine.available).toBe(true)
    } finally {
      delete process.env.RF_USER
      delete process.env.RF_PASS
    }
  })
})
