import { defineBench } from 'llem'

// SLO search (load.profile 'slo-search'): the highest request rate at which 95% of requests meet the
// targets in `slo` (latencies counted from each request's arrival), found by bisection between 0 and
// the measured max throughput until the bracket is within 5% of it. It first checks 1 request in
// flight (if even that misses, no rate can meet the targets) and the max throughput itself. The
// answer, a step that ran, is reported with its J/token on stderr and in the run's series.json.
// search: { over: 'concurrency' } bisects requests in flight (closed loop) instead.
//
// It runs against an OpenAI-compatible server you started: set LLEM_OPENAI_URL to its base URL
// (http://localhost:8000/v1) and LLEM_OPENAI_MODEL to the model it serves; without them it is skipped.
const baseURL = process.env.LLEM_OPENAI_URL
const model = process.env.LLEM_OPENAI_MODEL ?? 'default'

export default defineBench({
  name: 'highest rate meeting TTFT 500 ms and TPOT 50 ms',
  skip: !baseURL,
  backend: { name: 'openai', baseURL: baseURL ?? 'http://localhost:8000/v1' },
  model,
  dataset: { synthetic: { inputTokens: 512, n: 64 } },
  generation: { maxTokens: 128 },
  slo: { ttftMs: 500, tpotMs: 50 },
  load: { profile: 'slo-search', search: { attainment: 0.95, tolerance: '5%' }, concurrency: 64, requests: 100000, duration: 30 },
  measurement: { warmup: { mode: 'fixed', requests: 4 } },
})
