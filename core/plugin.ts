/**
 * `llem/plugin`: everything a backend, probe or reporter needs from llem, and with
 * `llem/plugin/runtime` (below) the one way into core for the plugins under plugins/ as for a user's
 * own (eslint.config.js and scripts/import-boundaries.ts fail on any other). A curated list of
 * re-exports, no code of its own: the contracts, the errors with their exit codes, the result
 * types, the helpers llem's own plugins use and the define* identities (core/plugin-runtime.ts), and
 * the zod that options schemas are written with, so a plugin and llem validate with the same copy.
 * Every module re-exported here is light (no native code, no work at import): `llem --help` never
 * loads this file. `llem/plugin/runtime` (core/plugin-runtime.ts) is the same without zod, for the
 * plugin modules the experiment worker loads. docs/plugins.md explains how each kind is written.
 */
import { z } from 'zod'
import { provideZod } from './plugins/lazy-schema.js'

export * from './plugin-runtime.js'
export { z }
// - results as written: the latency statistics' schema (its version and the rest: plugin-runtime.ts)
export { latencyStatisticsSchema } from './results/schema.js'
// - an experiment's GPU, CPU and RAM energy as its aggregated total counts them (data parallel: each
//   meter once); with the results' schema, so here and not in plugin-runtime.ts
export { componentEnergy } from './results/aggregate.js'

// a lazy schema a plugin builds is of this copy of zod, the one it hands its `z` to
provideZod(z)
