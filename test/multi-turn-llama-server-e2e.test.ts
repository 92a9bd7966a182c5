/**
 * Multi-turn conversations end to end through `llem bench` on the real llama-server (the managed
 * `server` backend, endpoint 'chat', the 1M random llama): a ShareGPT file of conversations is sent
 * turn by turn; every turn completes; each turn's prompt, as the server counts it (usage.prompt_tokens),
 * is longer than the turn before by at least that turn's reply (the history is carried); think time
 * separates a reply's end from the next turn; and the result carries the per-turn and per-conversation
 * figures. A backend without a chat endpoint is refused with the reason.
 */
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { llamaServerCommand, llamaServerPath, tinyModelPath } from './fixtures/llama-server.js'
import { makeProject, QUICK_CONFIG, runCli } from './fixtures/project.js'

let bin: string
let model: string
beforeAll(async () => {
  bin = llamaServerPath()
  model = await tinyModelPath()
}, 1_800_000)

// three conversations of 3, 2 and 4 user turns (ShareGPT's layout: from human / gpt)
const TURNS = [3, 2, 4]
const SHAREGPT = JSON.stringify(
  TURNS.map((n, c) => ({
    id: `c${c}`,
    conversations: Array.from({ length: n }, (_, t) => [
      { from: 'human', value: `conversation ${c} question ${t}: what is the weather like today in the city?` },
      { from: 'gpt', value: 'a reference reply the harness must not send' },
    ]).flat(),
  })),
)

const THINK_MS = 120
const bench = (endpoint: string) =>
  `import { bench } from 'llem'\nbench('chat', { backend: { name: 'server', command: ${JSON.stringify(llamaServerCommand('BIN'))}.map((a) => a === 'BIN' ? process.env.LLAMA_SERVER_BIN : a), servedModelName: 'tiny'${endpoint} }, model: { path: process.env.TINY_MODEL }, dataset: { file: 'data/chats.json', multiTurn: true }, generation: { maxTokens: 6 }, load: { concurrency: 2, thinkTimeMs: ${THINK_MS} } })\n`

function aggregated(dir: string) {
  const root = path.join(dir, 'llem-results')
  const run = path.join(root, readdirSync(root).filter((d) => !d.startsWith('.')).sort().pop()!)
  return readdirSync(path.join(run, 'aggregated')).map((f) => JSON.parse(readFileSync(path.join(run, 'aggregated', f), 'utf8')))
}

type Req = { ok: boolean; conversation_id: number; turn: number; think_time_ms: number; input_tokens: number; output_tokens: number; start_ms: number; e2e_ms: number; ttft_ms: number }

describe('multi-turn on llama-server', () => {
  const env = () => ({ LLAMA_SERVER_BIN: bin, TINY_MODEL: model })

  it('each turn carries the history: prompt tokens grow by at least the replies; think time between turns; per-turn figures', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'data/chats.json': SHAREGPT, 'benchmarks/c.bench.ts': bench(", endpoint: 'chat'") })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code, r.stderr + r.stdout).toBe(0)
    const [a] = aggregated(dir)
    const requests: Req[] = a.process_results[0].requests
    // load.requests unset: one pass over the dataset, 3 conversations of 3 + 2 + 4 turns
    expect(requests).toHaveLength(9)
    expect(requests.every((q) => q.ok)).toBe(true)
    for (let c = 0; c < TURNS.length; c++) {
      const turns = requests.filter((q) => q.conversation_id === c).sort((x, y) => x.turn - y.turn)
      expect(turns.map((q) => q.turn)).toEqual(Array.from({ length: TURNS[c] }, (_, t) => t + 1))
      for (let t = 1; t < turns.length; t++) {
        // the server's count of this turn's prompt holds the previous prompt, its reply and a new question
        expect(turns[t].input_tokens).toBeGreaterThanOrEqual(turns[t - 1].input_tokens + turns[t - 1].output_tokens + 10)
        const gap = turns[t].start_ms - (turns[t - 1].start_ms + turns[t - 1].e2e_ms)
        expect(gap).toBeGreaterThanOrEqual(THINK_MS - 1)
        expect(gap).toBeLessThan(THINK_MS + 200)
        expect(turns[t].think_time_ms).toBe(THINK_MS)
      }
    }
    const conv = a.workload.conversations
    expect(conv).toMatchObject({ think_time_ms: { dist: 'fixed', value: THINK_MS }, conversations: 3, conversations_all_turns_ok: 3, turns: 9, turns_per_conversation_mean: 3 })
    expect(conv.ttft_first_turn_ms.count).toBe(3)
    expect(conv.ttft_later_turns_ms.count).toBe(6)
    // a conversation lasts at least its think times (turns - 1 of them)
    expect(conv.conversation_duration_ms.count).toBe(3)
    expect(conv.conversation_duration_ms.max).toBeGreaterThanOrEqual(3 * THINK_MS)
    expect(conv.input_tokens_later_turns.mean).toBeGreaterThan(conv.input_tokens_first_turn.mean)
  })

  it('the completions endpoint cannot carry a history: the experiment fails saying so', async () => {
    const dir = makeProject({ 'llem.config.ts': QUICK_CONFIG, 'data/chats.json': SHAREGPT, 'benchmarks/c.bench.ts': bench('') })
    const r = await runCli(dir, ['bench'], env())
    expect(r.code).toBe(1)
    expect(r.stdout + r.stderr).toContain("dataset.multiTurn: conversations are sent with their history through a chat endpoint, which this server backend does not use: set endpoint: 'chat'")
  })
})
