import { defineBench } from 'llem'

// Trace replay: a small trace in Mooncake's layout (benchmarks/data/mooncake-trace.jsonl: one JSON line
// per request with its arrival time in ms, input_length, output_length and hash_ids). Each request gets
// a prompt of exactly its input length and is held to exactly its output length, and load.replay sends
// it at its trace time, here at half the trace's pace (timeScale 2: every gap twice as long). The
// result's workload.replay says how late the sends were (p99 lateness). A BurstGPT CSV is replayed the
// same way with format: 'burstgpt'.
export default defineBench({
  name: 'random llama 1M, replaying a Mooncake trace at its arrival times',
  backend: 'llama-cpp',
  model: { random: 'llama-1m' },
  dataset: { file: 'benchmarks/data/mooncake-trace.jsonl', format: 'mooncake' },
  // up to 4 in flight: llama.cpp gives each its own sequence, so arrivals during a burst run together
  load: { concurrency: 4, replay: { timeScale: 2 } },
  measurement: { warmup: { mode: 'fixed', requests: 2 } },
})
