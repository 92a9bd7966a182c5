/**
 * lm-eval's own results-folder code (pinned in requirements/peers.txt) reads llem's lm-eval output
 * without error and makes of it what it makes of a folder lm-eval wrote itself: every file classified
 * as results or samples, each samples file's task one of its results file's tasks, each date id as llem
 * wrote it, the newest results file per model, a card entry per task pointing at its newest samples,
 * and every non-empty file loaded by datasets with all its lines. Under CI a missing env fails.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { cardConfigName, compareLmEval, type LmEvalComparison } from './fixtures/peers/lm-eval.js'
import { ENV_BUILD_TIMEOUT_MS, pythonEnv } from './fixtures/python-envs.js'

describe("llem's lm-eval folder read by lm-eval", () => {
  let c: LmEvalComparison
  beforeAll(async () => {
    c = await compareLmEval(pythonEnv('peers'))
  }, ENV_BUILD_TIMEOUT_MS)

  it('classifies every file as results or samples, as it does its own', () => {
    const { llem, wrote } = c
    expect([...llem.results_files].sort()).toEqual(Object.keys(wrote.resultsTasks).sort())
    expect([...llem.sample_files].sort()).toEqual(Object.keys(wrote.sampleLines).sort())
    expect(llem.results_files.length + llem.sample_files.length).toBe(llem.files.length)
    expect(c.reference.results_files.length + c.reference.sample_files.length).toBe(c.reference.files.length)
  })

  it("parses each samples file's task and every file's date id as llem wrote them", () => {
    for (const f of c.llem.sample_files) {
      const date = c.llem.datetimes[f]
      expect(c.wrote.dateIds).toContain(date)
      const results = `${f.split('/')[0]}/results_${date}.json`
      expect(c.wrote.resultsTasks[results], f).toContain(c.llem.sample_tasks[f])
    }
    // its get_file_datetime strips .jsonl but not .json: a results file's "datetime" keeps the suffix, its own files' too
    for (const f of c.llem.results_files) expect(c.wrote.dateIds.map((d) => `${d}.json`)).toContain(c.llem.datetimes[f])
    for (const f of c.reference.results_files) expect(c.reference.datetimes[f]).toMatch(/\.json$/)
  })

  it('picks the newest results file of each model', () => {
    const newest = c.wrote.dateIds[1]
    for (const [model, file] of Object.entries(c.llem.latest_results)) expect(file).toBe(`${model}/results_${newest}.json`)
    expect(Object.keys(c.llem.latest_results).length).toBe(2)
  })

  it("recreate_metadata_card lists every task's newest samples as its 'latest' split, as for its own folder", () => {
    const newestByConfig = new Map<string, string>()
    for (const f of c.llem.sample_files) {
      const key = cardConfigName(f.split('/')[0], c.llem.sample_tasks[f])
      const date = c.llem.datetimes[f]
      if (!newestByConfig.has(key) || newestByConfig.get(key)! < date) newestByConfig.set(key, date)
    }
    expect(Object.keys(c.llem.card.configs).sort()).toEqual([...newestByConfig.keys()].sort())
    for (const [key, date] of newestByConfig) {
      const latest = c.llem.card.configs[key].find((s) => s.split === 'latest')
      expect(latest?.path[0], key).toMatch(new RegExp(`_${date.replace(/[.]/g, '\\.')}\\.jsonl$`))
    }
    // the control: lm-eval's own folder gets one config per task too, each with a 'latest' split
    expect(Object.keys(c.reference.card.configs).sort()).toEqual(['org__model__e', 'org__model__t'])
    for (const v of Object.values(c.reference.card.configs)) expect(v.some((s) => s.split === 'latest')).toBe(true)
    expect(c.llem.card.summary).toContain('## Latest results')
  })

  it('datasets loads every results file as one row and every non-empty samples file with all its lines', () => {
    for (const f of c.llem.results_files) expect(c.llem.rows[f], f).toBe(1)
    for (const [f, lines] of Object.entries(c.wrote.sampleLines)) {
      if (lines > 0) expect(c.llem.rows[f], f).toBe(lines)
      // an empty samples file (a task with no completed request) fails to load exactly as lm-eval's own empty one
      else expect(c.llem.rows[f], f).toEqual(c.reference.rows[c.reference.sample_files.find((r) => r.includes('/samples_e_'))!])
    }
  })
})
