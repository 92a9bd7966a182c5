/**
 * Every `vllm serve` command line llem builds (plugins/backends/vllm) is parsed by vLLM's own CLI at the
 * pinned version (requirements/vllm.txt), in a real vLLM install: vLLM cannot serve on this CPU machine,
 * but its parser, its serve command's validation and its engine-argument mapping run. A flag vLLM renamed
 * or dropped, a value of the wrong type or an enum value it no longer knows fails here, not on a GPU.
 * The expected parsed values are the option values llem was given; the parser is vLLM's.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { ENV_BUILD_TIMEOUT_MS, pythonEnv } from './fixtures/python-envs.js'
import { checkVllmArgs } from './fixtures/vllm-parser.js'

let python: string
beforeAll(() => {
  python = pythonEnv('vllm')
}, ENV_BUILD_TIMEOUT_MS)

describe("vLLM's own parser accepts every command line llem builds", () => {
  it('each option, alone and together, parses to the value llem was given; the engine args build', () => {
    const { model, cases, controls } = checkVllmArgs(python)
    for (const c of cases) {
      expect(c.parsed.error, `${c.name}: ${c.argv.join(' ')}`).toBeNull()
      expect(c.parsed.ok).toBe(true)
      expect(c.parsed.args.model_tag, c.name).toBe(model)
      expect(c.parsed.args.port, c.name).toBe(8123)
      expect(c.parsed.args.host, c.name).toBe('127.0.0.1')
      expect(c.parsed.args.seed, c.name).toBe(7)
      for (const [dest, v] of Object.entries(c.expect)) expect(c.parsed.args[dest], `${c.name}: ${dest}`).toEqual(v)
    }
    // the harness must see a refusal when there is one, or a pass above would mean nothing
    const [renamed, badInt, badChoice] = controls.map((c) => c.parsed.error)
    expect(renamed).toContain('unrecognized arguments: --max-num-sequences')
    expect(badInt).toContain("invalid int value: 'many'")
    expect(badChoice).toContain("invalid choice: 'float64'")
  }, 300_000)
})
