/**
 * A differential check of plugins/backends/openai/chunk-scan.ts against JSON.parse: the scan may give
 * up on anything, but whatever it answers must be valid JSON that JSON.parse reads the same way.
 * Random byte-level mutations of chunk-like JSON (completions, chat, usage, errors, escapes, odd types),
 * and real server chunks, which the scan must answer itself (else it would be no faster). Exits 1 on
 * any mismatch. Not a timing benchmark: a guard for the one in sse-client.perf.ts.
 *
 *   npx jiti benchmarks/perf/sse-scan-fuzz.ts [iterations]
 */
import { scanChunk, type ChunkFields } from '../../plugins/backends/openai/chunk-scan.js'

const seeds = [
  // the prefix cache's count: OpenAI's field, as vLLM and llama.cpp's server send it, null, and odd types
  '{"choices":[],"usage":{"prompt_tokens":12,"total_tokens":14,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":8}}}',
  '{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"prompt_tokens_details":null}}',
  '{"choices":[],"usage":{"prompt_tokens":1,"prompt_tokens_details":{"audio_tokens":0,"cached_tokens":"3"},"completion_tokens":1}}',
  '{"id":"cmpl-6","object":"text_completion","created":1700000000,"model":"m","choices":[{"index":0,"text":" tok","logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}',
  '{"id":"c","choices":[{"index":0,"text":"","finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":16,"total_tokens":19}}',
  '{"choices":[{"index":0,"delta":{"role":"assistant","content":"h\\u00e9\\n"},"finish_reason":null}],"usage":{"prompt_tokens":3,"completion_tokens":2}}',
  '{"choices":[{"delta":{"content":null},"finish_reason":"stop"}]}',
  '{"choices":[],"usage":{"prompt_tokens":1e2,"completion_tokens":-0.5e-3}}',
  '{"error":{"message":"boom"}}',
  '{"error":null,"choices":[{"text":"x"}]}',
  '{"choices":[{"text":"caf\u00e9 \u2028","finish_reason":"len\\u0067th"}],"t":[1,[2,{"a":[]}],true,false,null,-0,1.5E+3]}',
  '{"choices":null,"usage":{}}',
  '{"content":"x","choices":[{"text":"a"},{"text":""}],"x":{"choices":[]}}',
  ' \t{"choices":[{"text":"a","text":""}]} \r\n',
]
// what servers really send: the scan must answer these itself (else it is no faster than JSON.parse)
const real: [string, boolean][] = [
  ['{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":" the","logprobs":null,"finish_reason":null,"stop_reason":null}],"usage":null}', false],
  ['{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}', true],
  ['{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp","choices":[{"index":0,"delta":{"content":" wor\\u00e9ld"},"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":5,"total_tokens":7,"completion_tokens":2}}', true],
  ['{"choices":[{"text":"","index":0,"logprobs":null,"finish_reason":"length"}],"created":1,"model":"tiny","system_fingerprint":"b1","object":"text_completion","usage":{"completion_tokens":3,"prompt_tokens":6,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":5}},"id":"x","timings":{"cache_n":5,"prompt_ms":0.794,"predicted_per_second":1870.9073900841909}}', false],
  ['{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":16,"total_tokens":17}}', false],
]
const mutations = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '0', '-', '.', 'e', 'n', 't', 'u', '\u0001', '\u00e9', 'null', '"length"', '"text"', '"usage"', '"error"', '"cached_tokens"', '"prompt_tokens_details"', '1', 'x']

let rng = 12345
const rand = (n: number) => ((rng = (rng * 1103515245 + 12345) >>> 0) >>> 8) % n

function mutate(s: string): string {
  let out = s
  for (let k = rand(3) + 1; k > 0; k--) {
    const i = rand(out.length + 1)
    const op = rand(3)
    const m = mutations[rand(mutations.length)]
    out = op === 0 ? out.slice(0, i) + m + out.slice(i) : op === 1 ? out.slice(0, i) + out.slice(i + 1 + rand(4)) : out.slice(0, i) + m + out.slice(i + 1)
  }
  return out
}

function reference(text: string, chat: boolean): ChunkFields | 'rejected' {
  let c: any
  try {
    c = JSON.parse(text)
  } catch {
    return 'rejected'
  }
  if (c === null || typeof c !== 'object' || c.error) return 'rejected'
  const choice = c.choices?.[0]
  const usage = Boolean(c.usage)
  return {
    usage,
    promptTokens: usage && typeof c.usage.prompt_tokens === 'number' ? c.usage.prompt_tokens : NaN,
    completionTokens: usage && typeof c.usage.completion_tokens === 'number' ? c.usage.completion_tokens : NaN,
    cachedTokens: usage && typeof c.usage.prompt_tokens_details?.cached_tokens === 'number' ? c.usage.prompt_tokens_details.cached_tokens : NaN,
    content: Boolean(chat ? choice?.delta?.content : choice?.text),
    finishLength: choice?.finish_reason === 'length',
  }
}

const iterations = Number(process.argv[2] ?? 200_000)
const fields: ChunkFields = { usage: false, promptTokens: NaN, completionTokens: NaN, content: false, finishLength: false }
let answered = 0
let failures = 0
for (let i = 0; i < iterations; i++) {
  const text = i < seeds.length ? seeds[i] : mutate(seeds[rand(seeds.length)])
  const chat = rand(2) === 0
  // the bytes sit inside a larger buffer, as they do in a read
  const bytes = Buffer.concat([Buffer.from('xx\n'), Buffer.from(text), Buffer.from('\n\nyy')])
  const ok = scanChunk(bytes, 3, bytes.length - 4, chat, fields)
  if (!ok) continue
  answered++
  const ref = reference(bytes.toString('utf8', 3, bytes.length - 4), chat)
  const same = ref !== 'rejected' && (Object.keys(ref) as (keyof ChunkFields)[]).every((k) => Object.is(ref[k], fields[k]))
  if (!same && failures++ < 10) console.log('MISMATCH', JSON.stringify(text), chat, ref, { ...fields })
}
for (const [text, chat] of real) {
  const bytes = Buffer.from(text)
  const ref = reference(text, chat)
  if (!scanChunk(bytes, 0, bytes.length, chat, fields) || ref === 'rejected' || !(Object.keys(ref) as (keyof ChunkFields)[]).every((k) => Object.is(ref[k], fields[k]))) {
    failures++
    console.log('NOT ANSWERED OR MISMATCH', text)
  }
}
console.log(`${iterations} inputs, ${answered} answered by the scan, ${real.length} real chunks, ${failures} mismatches`)
process.exit(failures ? 1 : 0)
