/**
 * `llem report` replays a `--bail` run as it happened: the experiment --bail kept from starting got no
 * onExperimentStart live (only its record, at the end), and the run failed, it was not interrupted.
 * The replay's event log must be the live one, byte for byte.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

const EVENTS = `import { writeFileSync } from 'node:fs'
const log = []
let file = null
export default {
  name: 'events',
  onInit(ctx) { file = ctx.outputFile },
  onExperimentStart(x) { log.push('start ' + x.bench.name) },
  onExperimentEnd(x, r) { log.push('end ' + x.bench.name + ' ' + r.status) },
  onRunEnd(s) { log.push('runEnd ' + s.status); writeFileSync(file, log.join('\\n') + '\\n') },
}
`
const BENCHES = `import { describe, bench } from 'llem'
describe('f', { model: { random: 'llama-1m' }, dataset: { prompts: ['Hello there'] } }, () => {
  bench('too small context', { backend: { name: 'llama-cpp', contextSize: 8 }, generation: { maxTokens: 1000 } })
  bench('fine', { backend: 'llama-cpp' })
})
`

describe('llem report of a --bail run', () => {
  it('sends no start for what --bail left unrun, and says the run failed, as the live run did', async () => {
    const config = QUICK_CONFIG.replace(/export default \{/, "export default {\n  reporters: [['./events.mjs', { outputFile: 'live.log' }]],")
    const dir = makeProject({ 'llem.config.ts': config, 'events.mjs': EVENTS, 'benchmarks/f.bench.ts': BENCHES })
    const live = await runCli(dir, ['bench', '--bail'])
    expect(live.code, live.stderr).toBe(1)
    expect(readFileSync(path.join(dir, 'live.log'), 'utf8')).toBe('start too small context\nend too small context failed\nend fine interrupted\nrunEnd failed\n')
    const results = path.join(dir, 'llem-results')
    const runDir = path.join(results, readdirSync(results).filter((d) => !d.startsWith('.'))[0])
    const replay = await runCli(dir, ['report', runDir, '--reporter', './events.mjs', '--outputFile.events', 'replay.log'])
    expect(replay.code, replay.stderr).toBe(0)
    expect(readFileSync(path.join(dir, 'replay.log'), 'utf8')).toBe(readFileSync(path.join(dir, 'live.log'), 'utf8'))
  }, 120_000)
})
