import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { builtinReporters } from '../core/reporters/builtin-reporters.js'
import { createDispatcher, reporterContext } from '../core/reporters/dispatch.js'
import { loadReporters } from '../core/reporters/load-reporters.js'
import type { Reporter, ReporterContext, RunSummary } from '../core/reporters/types.js'
import { InputError } from '../core/errors.js'
import { captureStream } from './fixtures/reporter-context.js'

const rootDir = path.resolve(import.meta.dirname, 'fixtures')
const base = { runId: 'run-1', runDir: '/tmp/llem-run-1', rootDir, configFile: null, stdout: captureStream().stream, isTTY: false, verbose: false }
const load = (specs: unknown[], outputFile: string | Record<string, string> | null = null) => loadReporters(specs, base, { outputFile, builtins: builtinReporters })
const summary: RunSummary = { runId: 'run-1', runDir: '/tmp/llem-run-1', results: [], skipped: [], durationMs: 1, status: 'passed', repeats: [] }

async function loadError(specs: unknown[]): Promise<InputError> {
  const e = await load(specs).catch((err: unknown) => err)
  expect(e).toBeInstanceOf(InputError)
  return e as InputError
}

describe('loading reporters', () => {
  it('loads the built-ins by name', async () => {
    const reporters = await load(['console', 'json', 'csv'])
    expect(reporters.map((r) => r.name)).toEqual(['console', 'json', 'csv'])
  })

  it('loads a .ts class reporter by path, with options, and gives onInit its own context', async () => {
    const [reporter] = await load([['./reporters/class-reporter.ts', { label: 'x', outputFile: 'out/x.txt' }]])
    const r = reporter as Reporter & { constructedWith: ReporterContext; initWith: ReporterContext | null; calls: string[] }
    expect(r.name).toBe('class-reporter')
    expect(r.constructedWith.options).toEqual({ label: 'x', outputFile: 'out/x.txt' })
    expect(r.constructedWith.outputFile).toBe(path.join(rootDir, 'out/x.txt'))
    expect(r.constructedWith.runId).toBe('run-1')

    const d = createDispatcher([r])
    // the caller emits a shared context; this reporter gets the one made for it
    await d.emit('onInit', { ...base, options: {}, outputFile: null })
    await d.emit('onRunEnd', summary)
    expect(r.initWith).toBe(r.constructedWith)
    expect(r.calls).toEqual(['init:1', 'runEnd:passed']) // `this` and private fields work
    expect(d.errors()).toEqual([])
  })

  it('loads a factory module by absolute path', async () => {
    const file = path.join(rootDir, 'reporters/factory-reporter.mjs')
    const [r] = (await load([[file, { label: 'abs' }]], { [file]: 'factory.out' })) as Array<Reporter & { ctx: ReporterContext }>
    expect(r.name).toBe('factory-abs')
    expect(r.ctx.outputFile).toBe(path.join(rootDir, 'factory.out'))
  })

  it('a factory that refuses its options is bad input naming the reporter, not an internal error', async () => {
    const file = path.join(rootDir, 'reporters/factory-reporter.mjs')
    const e = await loadError([[file, { label: 'abs', refuse: 'needs a budget' }]])
    expect(e.code).toBe('CONFIG_INVALID')
    expect(e.message).toBe(`reporter "${file}": creating it failed: needs a budget`)
  })

  it('uses an inline object as is', async () => {
    const inline: Reporter = { name: 'inline', onRunEnd() {} }
    const [r] = await load([inline], { inline: '/abs/inline.out', json: 'j.json' })
    expect(r).toBe(inline)
    expect(reporterContext(r)).toMatchObject({ options: {}, outputFile: '/abs/inline.out', runId: 'run-1' })
  })

  it('rejects an unknown name with the built-ins and a suggestion', async () => {
    const e = await loadError(['jsno'])
    expect(e.code).toBe('PLUGIN_NOT_FOUND')
    expect(e.message).toMatch(/^unknown reporter "jsno" \(did you mean "json"\?\): not a built-in \(console, json, csv, [a-z, -]+\) nor a package installed in /)
    for (const name of ['lm-eval', 'mlenergy', 'zeus-csv', 'codecarbon', 'parquet', 'markdown', 'github-actions', 'html']) expect(e.message).toContain(name)
    expect((await loadError(['junit-xml'])).message).not.toContain('did you mean')
  })

  it('rejects a path that does not exist, naming the resolved path', async () => {
    const e = await loadError(['./reporters/nope.ts'])
    expect(e.code).toBe('PLUGIN_NOT_FOUND')
    expect(e.message).toContain(path.join(rootDir, 'reporters/nope.ts'))
  })

  it('rejects a module without a default export and a malformed spec', async () => {
    expect((await loadError(['./reporters/no-default.ts'])).message).toMatch(/default export is not a reporter/)
    expect((await loadError([42])).code).toBe('CONFIG_INVALID')
    expect((await loadError([{ onRunEnd: 'yes' }])).message).toMatch(/onRunEnd must be a function/)
  })
})

describe('dispatcher', () => {
  it('calls each hook on every reporter in order and survives a throwing reporter', async () => {
    const calls: string[] = []
    const recorder = (name: string): Reporter => ({
      name,
      onInit: () => void calls.push(`${name}:onInit`),
      onRunEnd: async (s) => {
        await new Promise((r) => setTimeout(r, 5))
        calls.push(`${name}:onRunEnd:${s.status}`)
      },
    })
    const broken: Reporter = {
      onRunEnd() {
        calls.push('broken:onRunEnd')
        throw new Error('disk full')
      },
    }
    const err = captureStream()
    const d = createDispatcher([recorder('a'), broken, recorder('b')], { stderr: err.stream })
    await d.emit('onInit', { ...base, options: {}, outputFile: null })
    await d.emit('onExperimentStart', { id: 'e', name: 'e', bench: { file: 'f', name: 'n', full_name: 'n', location: 'f:1:1' }, task_hash: 'h', repeat_index: 1, mode: 'run', effective_config: {} })
    await d.emit('onRunEnd', summary)
    expect(calls).toEqual(['a:onInit', 'b:onInit', 'a:onRunEnd:passed', 'broken:onRunEnd', 'b:onRunEnd:passed'])
    expect(d.errors()).toHaveLength(1)
    expect(d.errors()[0]).toMatchObject({ reporter: 'reporter #2', hook: 'onRunEnd' })
    expect(err.text()).toContain('reporter "reporter #2" failed in onRunEnd: Error: disk full')
  })

  it('names a loaded reporter without a name by its spec', async () => {
    const [r] = await load([{ onRunEnd: () => Promise.reject(new Error('boom')) }])
    const err = captureStream()
    const d = createDispatcher([r], { stderr: err.stream })
    await d.emit('onRunEnd', summary)
    expect(d.errors()[0].reporter).toBe('inline reporter #1')
  })
})
