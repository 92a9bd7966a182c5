/**
 * The planted-secret scan, for the places a secret reaches output other than by its field: a sweep over
 * a secret (the point's text names the experiment and makes its id, which names files and is never
 * masked, and repeats.json), a URL password with an unencoded '@', a Bearer credential echoed bare by
 * the server, and a secret echoed where llem cuts text short (200 characters of an error body, on one
 * client thread and on two; 16 KiB of a log line). Every file under the project llem wrote and
 * everything it printed (bench, list, list --json, bench --dry-run) is searched for the secrets, in
 * full or in part.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, REPO, runCli } from './fixtures/project.js'

const ECHO = path.join(REPO, 'test', 'fixtures', 'secret-echo-server.mjs')
const PLANT = `pl4nted${process.pid}x${Date.now().toString(36)}`
const S = (where: string) => `${PLANT}-${where}`
// a secret cut short leaves its start: the plant and the first characters after it are enough to find
const leakRe = new RegExp(`${PLANT.slice(0, 10)}`, 'gi')

function filesUnder(dir: string, skip: Set<string>): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name)
    if (skip.has(p)) return []
    return statSync(p).isDirectory() ? filesUnder(p, skip) : [p]
  })
}

const config = `export default {
  measurement: { baseline: { enabled: false }, warmup: { mode: 'fixed', requests: 0 }, sampleIntervalMs: 20 },
  generation: { maxTokens: 3 },
  reporters: ['console', 'json', 'csv', 'html', 'lm-eval', 'markdown'],
  cacheDir: '.cache',
}
`
const server = (extra: string) => `{ name: 'server', command: [process.execPath, ${JSON.stringify(ECHO)}, '--port', '{port}', '--upstream-header', 'Authorization: Bearer ${S('bearer')}'], startupTimeoutMs: 20000${extra} }`

describe('a planted secret swept over, echoed bare, or cut short', () => {
  it('appears in no file, id, file name or output, in full or in part', async () => {
    const bench = [
      `import { bench } from 'llem'`,
      // swept over: the experiments' names, ids (and so their files) and repeats.json
      `bench('swept', { backend: ${server('')}, model: 'm', dataset: { prompts: ['hello'] }, load: { requests: 1 }, repeat: 2, sweep: { 'backend.extraBody.api_key': ['${S('sweptone')}', '${S('swepttwo')}'] } })`,
      // a URL whose password holds an unencoded '@' (a URL parser takes it as part of the password)
      `bench('url', { backend: { name: 'openai', baseURL: 'http://user:p@${S('urlat')}@127.0.0.1:9/v1' }, model: 'm', dataset: { prompts: ['hello'] }, load: { requests: 1 } })`,
      // the key echoed bare 200 characters into the error body, and 16 KiB into a server log line
      `bench('cut', { backend: ${server(`, extraBody: { api_key: '${S('cutkey')}' }`)}, model: 'm', dataset: { prompts: ['echo-cut'] }, load: { requests: 2 }, sweep: { 'load.clientThreads': [1, 2] } })`,
    ].join('\n')
    const dir = makeProject({ 'llem.config.ts': config, 'benchmarks/s.bench.ts': bench + '\n' })
    const env = { LLEM_CACHE_DIR: path.join(dir, '.llem-cache') }
    const outputs = [await runCli(dir, ['bench'], env)]
    expect(outputs[0].code, outputs[0].stderr + outputs[0].stdout).toBe(1)
    // a command-line value overriding the swept secret is warned of: the warning names neither
    const override = ['--backend.extraBody.api_key', S('override')]
    outputs.push(await runCli(dir, ['list'], env), await runCli(dir, ['list', '--json'], env), await runCli(dir, ['bench', '--dry-run', ...override], env))
    for (const o of outputs.slice(1)) expect(o.code, o.stderr).toBe(0)

    const root = path.join(dir, 'llem-results')
    const run = readdirSync(root).find((d) => !d.startsWith('.'))!
    const aggregated = readdirSync(path.join(root, run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(root, run, 'aggregated', f), 'utf8')))
    // the run really happened: four swept experiments measured, the URL refused, the cut ones failed
    // on their echoed errors, which quote the key's place masked
    const byStatus = aggregated.map((a) => `${a.experiment_name.replace(/ \[.*\]/, '')}:${a.status}`).sort()
    expect(byStatus, outputs[0].stderr).toEqual(['cut:failed', 'cut:failed', 'swept #1:completed', 'swept #1:completed', 'swept #2:completed', 'swept #2:completed', 'url:failed'])
    expect(readdirSync(path.join(root, run))).toContain('repeats.json')
    const cut = aggregated.filter((a) => a.experiment_name.startsWith('cut'))
    for (const a of cut) expect(JSON.stringify(a)).toMatch(/HTTP 400 .*?x{100,} key \[redacted\]/)
    // the swept points stay apart: each its own id, the masked value in its name
    const swept = aggregated.filter((a) => a.experiment_name.startsWith('swept'))
    expect(new Set(swept.map((a) => a.experiment_id)).size).toBe(4)
    for (const a of swept) expect(a.experiment_name).toContain('[backend.extraBody.api_key=[redacted]]')
    // the long server line was kept, cut at 16 KiB
    const logs = readdirSync(path.join(root, run, 'logs')).filter((f) => f.startsWith('cut'))
    expect(logs.length).toBe(2)
    expect(readFileSync(path.join(root, run, 'logs', logs[0]), 'utf8')).toMatch(/y{1000,} key \[redac[^\n]*\[llem: \d+ more characters of this line not kept\]/)

    const files = filesUnder(dir, new Set([path.join(dir, 'llem.config.ts'), path.join(dir, 'benchmarks'), path.join(env.LLEM_CACHE_DIR, 'jiti')]))
    const leaks: string[] = []
    for (const f of files) {
      const rel = path.relative(dir, f)
      for (const m of rel.matchAll(leakRe)) leaks.push(`file name ${rel}: ${m[0]}`)
      const text = readFileSync(f).toString('latin1')
      for (const m of text.matchAll(new RegExp(`.{0,20}${PLANT.slice(0, 10)}[\\w-]*`, 'gi'))) leaks.push(`${rel}: ${m[0]}`)
    }
    for (const [i, o] of outputs.entries()) for (const m of (o.stdout + o.stderr).matchAll(new RegExp(`.{0,20}${PLANT.slice(0, 10)}[\\w-]*`, 'gi'))) leaks.push(`output of command ${i}: ${m[0]}`)
    expect([...new Set(leaks)]).toEqual([])
    // the override was warned of, its value masked
    expect(outputs[3].stderr).toContain('overriding the sweep value "[redacted]"')
  }, 180_000)
})
