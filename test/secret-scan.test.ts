/**
 * The planted-secret scan (issue 14, items 4, 5 and 7): a unique secret in every place a user can put
 * one (a server's env, its command line, extraBody nested and in lists, apiKeyEnv, a baseURL's
 * user:password, CLI flags plain and JSON-valued, a secret-named environment variable), a hostile server
 * that prints all it sees and echoes requests back in its errors, every reporter on; then every file
 * under the project that llem wrote (results, logs, reports, caches) and everything it printed are
 * searched for the secrets.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from './fixtures/free-port.js'
import { makeProject, REPO, runCli } from './fixtures/project.js'

const ECHO = path.join(REPO, 'test', 'fixtures', 'secret-echo-server.mjs')
const PLANT = `pl4nted${process.pid}x${Date.now().toString(36)}`
const S = (where: string) => `${PLANT}-${where}`

let external: ChildProcess
let externalPort: number
beforeAll(async () => {
  externalPort = await freePort()
  external = spawn(process.execPath, [ECHO, '--port', String(externalPort)], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((r) => external.stdout!.on('data', (d) => String(d).includes('listening') && r()))
})
afterAll(() => external?.kill())

/** every file under dir, but the user's own inputs (the config and the bench files hold the secrets) */
function filesUnder(dir: string, skip: Set<string>): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name)
    if (skip.has(p)) return []
    return statSync(p).isDirectory() ? filesUnder(p, skip) : [p]
  })
}

const reporters = ['console', 'json', 'csv', 'parquet', 'html', 'lm-eval', 'mlenergy', 'zeus-csv', 'codecarbon', 'markdown', 'github-actions']
const config = `export default {
  measurement: { baseline: { seconds: 0.2 }, warmup: { mode: 'fixed', requests: 1 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 3 },
  reporters: ${JSON.stringify(reporters)},
  cacheDir: '.cache',
}
`
const extraBody = `{ api_key: '${S('extrabody')}', auth: { user: 'me', password: '${S('nestedpw')}' }, api_keys: ['${S('list1')}', '${S('list2')}'], tokens: ['${S('plural')}'], max_tokens: 3 }`
const serverBackend = (name: string, prompts: string[]) =>
  `bench(${JSON.stringify(name)}, { backend: { name: 'server', command: [process.execPath, ${JSON.stringify(ECHO)}, '--port', '{port}', '--api-key', '${S('cmdflag')}', '--hf-token=${S('cmdflag2')}'], env: { HF_TOKEN: '${S('serverenv')}', DB_PASSWORD: '${S('dbpw')}' }, apiKeyEnv: 'PLANT_API_KEY', extraBody: ${extraBody} }, model: 'm', dataset: { prompts: ${JSON.stringify(prompts)} }, load: { requests: 2 } })`

describe('a planted secret', () => {
  it('appears in no file a run writes and nowhere on stdout or stderr', async () => {
    const bench = [
      `import { bench } from 'llem'`,
      serverBackend('served', ['hello', 'there']),
      // every request rejected, with the request (and its Authorization header) echoed: the experiment fails
      serverBackend('echoed', ['echo']),
      `bench('remote', { backend: { name: 'openai', baseURL: 'http://user:${S('urlpw')}@127.0.0.1:${externalPort}/v1', apiKeyEnv: 'PLANT_API_KEY', extraBody: ${extraBody} }, model: 'm', dataset: { prompts: ['hello'] }, load: { requests: 2 } })`,
    ].join('\n')
    const dir = makeProject({ 'llem.config.ts': config, 'benchmarks/s.bench.ts': bench + '\n' })
    const env = { PLANT_API_KEY: S('apikeyenv'), PLANT_SESSION_KEY: S('envlayer'), GITHUB_STEP_SUMMARY: path.join(dir, 'step-summary.md'), GITHUB_ACTIONS: 'true', LLEM_CACHE_DIR: path.join(dir, '.llem-cache') }
    const flags = ['--backend.extraBody.session_token', S('cliflag'), '--backend.extraBody.nested', `{"client_secret":"${S('clijson')}"}`]
    const outputs = [await runCli(dir, ['bench', ...flags], env)]
    const run = readdirSync(path.join(dir, 'llem-results')).find((d) => !d.startsWith('.'))!
    expect(outputs[0].code, outputs[0].stderr + outputs[0].stdout).toBe(1)
    outputs.push(await runCli(dir, ['list', '--json', ...flags], env))
    outputs.push(await runCli(dir, ['list', '--run', run, '--json'], env))
    outputs.push(await runCli(dir, ['report', path.join('llem-results', run)], env))

    // the run really happened: one experiment measured, one failed on the echoed errors, one remote
    const aggregated = readdirSync(path.join(dir, 'llem-results', run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(dir, 'llem-results', run, 'aggregated', f), 'utf8')))
    expect(aggregated.map((a) => `${a.experiment_name}:${a.status}`).sort(), outputs[0].stderr).toEqual(['echoed:failed', 'remote:completed', 'served:completed'])
    // the user's own inputs hold the secrets, and so does jiti's compiled copy of them, kept where only
    // the user can read it (test/jiti-cache-private.test.ts)
    const jiti = path.join(env.LLEM_CACHE_DIR, 'jiti')
    expect((statSync(jiti).mode & 0o777).toString(8)).toBe('700')
    const files = filesUnder(dir, new Set([path.join(dir, 'llem.config.ts'), path.join(dir, 'benchmarks'), jiti]))
    // reports, logs and raw results were all written (so the scan below covers them)
    for (const want of ['manifest.json', '.log', 'process_0.json', 'results.json', '.csv', '.html', 'summary.md', '.parquet', 'step-summary.md'])
      expect(files.some((f) => f.endsWith(want)), `${want} in ${files.map((f) => path.relative(dir, f)).join(', ')}`).toBe(true)

    const leaks: string[] = []
    for (const f of files) {
      const text = readFileSync(f).toString('latin1')
      for (const m of text.matchAll(new RegExp(`${PLANT}-\\w+`, 'g'))) leaks.push(`${path.relative(dir, f)}: ${m[0]}`)
    }
    for (const [i, o] of outputs.entries()) for (const m of (o.stdout + o.stderr).matchAll(new RegExp(`${PLANT}-\\w+`, 'g'))) leaks.push(`output of command ${i}: ${m[0]}`)
    expect([...new Set(leaks)]).toEqual([])
    // masked, not dropped: the places that held a secret say so
    const manifest = readFileSync(path.join(dir, 'llem-results', run, 'manifest.json'), 'utf8')
    expect(manifest).toContain('[redacted]')
    const served = aggregated.find((a) => a.experiment_name === 'served').process_results[0]
    expect(served.environment.backend_settings.extra_body.api_key).toBe('[redacted]')
    expect(served.environment.backend_settings.extra_body.max_tokens).toBe(3)
    expect(served.environment.backend_settings.command).toContain('--api-key')
  }, 120_000)
})
