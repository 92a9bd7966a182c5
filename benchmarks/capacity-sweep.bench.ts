import { defineBench } from 'llem'

// Capacity sweep (load.profile 'sweep'): one step at 1 request in flight (the synchronous rate), one
// sending every request at once up to load.concurrency (the max throughput), then load.points open-loop
// rates evenly spaced from the first up to maxRateFactor x the second. The rates are decided at run time
// from those two measurements; `llem list` shows the plan. A rate step whose queue and TTFT keep
// growing is stopped early and marked over_saturated (docs/methodology.md#over-saturation); the stderr
// line and the run's series.json summarise the sweep. Each step is an experiment with its own J/token.
//
// It runs against an OpenAI-compatible server you started (vLLM, llama-server, SGLang...): set
// LLEM_OPENAI_URL to its base URL (http://localhost:8000/v1) and LLEM_OPENAI_MODEL to the model it
// serves; without them the bench is skipped.
const baseURL = process.env.LLEM_OPENAI_URL
const model = process.env.LLEM_OPENAI_MODEL ?? 'default'

export default defineBench({
  name: 'capacity sweep of an OpenAI-compatible server',
  skip: !baseURL,
  backend: { name: 'openai', baseURL: baseURL ?? 'http://localhost:8000/v1' },
  model,
  dataset: { synthetic: { inputTokens: 256, n: 64 } },
  generation: { maxTokens: 128 },
  // 30 s per step; concurrency caps what is in flight at every step (set it to what the server can hold)
  load: { profile: 'sweep', points: 6, maxRateFactor: 1.2, concurrency: 64, requests: 100000, duration: 30 },
  measurement: { warmup: { mode: 'fixed', requests: 4 } },
})
