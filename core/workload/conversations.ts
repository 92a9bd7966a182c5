/**
 * dataset.multiTurn: a conversation row becomes a prompt with turns (its user turns in order), each
 * turn with its own output length. The dataset's assistant replies are not sent: a turn carries the
 * replies the server gave to the turns before it (what a chat client sends); they only set output
 * lengths for outputTokens: 'dataset'.
 */
import { InputError, LlemError } from '../errors.js'
import type { MappedRow } from './dataset-columns.js'
import type { DatasetContext, DatasetPrompt } from './dataset.js'
import type { DatasetOptions } from './dataset-schema.js'
import { lengthSampler } from './lengths.js'
import { createRng, deriveSeed } from './random.js'

/** the draw stream for later turns' output lengths: the first turn keeps the single-turn draw */
const TURN_OUTPUT_STREAM = 3

export async function applyTurns(rows: readonly MappedRow[], prompts: DatasetPrompt[], opts: DatasetOptions, ctx: DatasetContext): Promise<void> {
  if (!opts.multiTurn) return
  const spec = opts.outputTokens
  const draw = spec !== undefined && spec !== 'dataset' ? lengthSampler(spec, createRng(deriveSeed(opts.seed, TURN_OUTPUT_STREAM))) : null
  let conversations = 0
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]
    if (row.turns === undefined || row.turns.length === 0) continue
    conversations++
    const kept = row.turns.slice(0, opts.maxTurns ?? row.turns.length)
    const turns: NonNullable<DatasetPrompt['turns']> = []
    for (let t = 0; t < kept.length; t++) {
      let maxTokens: number | undefined
      if (t === 0) maxTokens = prompts[i].maxTokens
      else if (draw !== null) maxTokens = draw()
      else if (spec === 'dataset') maxTokens = await replyLength(row, t, kept[t].response, ctx)
      turns.push({ text: kept[t].text, ...(maxTokens !== undefined ? { maxTokens } : {}) })
    }
    prompts[i].text = turns[0].text
    prompts[i].turns = turns
  }
  if (conversations === 0)
    throw new InputError('DATASET_INVALID', `dataset.multiTurn: ${opts.file} has no conversations (ShareGPT conversations, or a messages column of { role, content } turns)`, { file: opts.file })
}

async function replyLength(row: MappedRow, turn: number, reply: string | undefined, ctx: DatasetContext): Promise<number | undefined> {
  if (reply === undefined)
    throw new InputError('DATASET_INVALID', `dataset.outputTokens is 'dataset', but turn ${turn + 1} of ${row.source} has no assistant reply to take its length from`, { where: row.source })
  if (ctx.checkOnly) return undefined
  if (ctx.tokenizer === undefined) throw new LlemError('DATASET_INVALID', "outputTokens: 'dataset' counts the reference replies with the model tokenizer, and none was provided")
  return Math.max(1, (await ctx.tokenizer.tokenize(reply)).length)
}
