/**
 * Energy per prefill token and per decode token against the simulated GPU's own coefficients. The
 * server's iteration draws a J per prompt token it prefills and b J per token it decodes, plus c W per
 * sequence in the batch for the iteration's length: a decoded token holds its sequence in the batch
 * for exactly one iteration, so its true cost is b + c x tick. The first output token is made in the
 * prefill iteration: its occupancy (c x tick per request) goes with the prompt, a share of a that the
 * tolerance covers (0.015 J against a 300-900 token prompt's 6-18 J).
 */
import { checkRow, type Row } from './checks.js'
import type { ScenarioRun } from './scenario.js'

/** within 10% where the workload varies the mix (issue 17, item 10) */
export const TOKEN_ENERGY_REL = 0.1

export function trueTokenCosts(run: ScenarioRun): { prefillJ: number; decodeJ: number } {
  const g = run.scenario.gpus[0]
  return { prefillJ: g.aPrefill, decodeJ: g.bDecode + (g.cOccupancy * run.scenario.tickMs) / 1000 }
}

export function checkTokenEnergy(run: ScenarioRun): Row[] {
  const f = run.raw.prefill_decode_energy
  const t = trueTokenCosts(run)
  const name = run.scenario.name
  return [
    checkRow(name, 'energy per prefill token (fit)', 'J/tok', t.prefillJ, f?.energy_per_prefill_token_j, { rel: TOKEN_ENERGY_REL }, f?.energy_per_prefill_token_uncertainty_j),
    checkRow(name, 'energy per decode token (fit)', 'J/tok', t.decodeJ, f?.energy_per_decode_token_j, { rel: TOKEN_ENERGY_REL }, f?.energy_per_decode_token_uncertainty_j),
  ]
}
