/**
 * The `dataset` key in bench options: where prompts come from and how the list is
 * reshaped (shuffle, n, repeat).
 *
 * One flat object with optional fields plus a superRefine, rather than a union of three
 * shapes: a union's error for `{ fiel: 'x.txt' }` is an unreadable "no union member
 * matched", while this reports the exact key. No transforms, so `z.toJSONSchema` can
 * publish it for editor completion.
 */
import { z } from 'zod'
import { columnFormats, datasetFormats, inferDatasetFormat, traceFormats } from './dataset-formats.js'
import { lengthSpecSchema } from './lengths-schema.js'

/** A pool of shared prompt prefixes (system prompts, few-shot preambles): what prefix caching reuses. */
export const sharedPrefixSchema = z
  .object({
    count: z.int().positive().describe('how many distinct prefixes the prompts share: prompt i starts with prefix i mod count (1: every prompt the same prefix; at least as many as prompts: none shared)'),
    tokens: z.int().positive().describe("each prefix's length in tokens as the model's tokenizer counts them (a BOS the server adds included)"),
  })
  .strict()

export const syntheticDatasetSchema = z
  .object({
    inputTokens: lengthSpecSchema.optional().describe("prompt length in tokens as the model's tokenizer counts them: a number, or a distribution { dist: 'uniform' | 'normal' | 'lognormal' | 'fixed', ... } drawn per prompt (seeded)"),
    prefix: sharedPrefixSchema.optional().describe('prompts made of a shared prefix from a pool plus a unique suffix (suffixTokens), to measure prefix caching'),
    suffixTokens: lengthSpecSchema.optional().describe('with prefix: the length of the unique part after the shared prefix, in tokens (a number or a distribution, drawn per prompt)'),
    n: z.number().int().positive().optional().describe('how many distinct prompts to generate (default: the top-level n, else 1)'),
  })
  .strict()
  .superRefine((v, ctx) => {
    // one way to say the length: the whole prompt, or a shared prefix plus its unique suffix
    if (v.prefix === undefined) {
      if (v.suffixTokens !== undefined) ctx.addIssue({ code: 'custom', path: ['suffixTokens'], message: 'suffixTokens goes with prefix (the length after a shared prefix); without one, give inputTokens' })
      else if (v.inputTokens === undefined) ctx.addIssue({ code: 'custom', path: ['inputTokens'], message: 'a synthetic dataset needs inputTokens (the prompt length), or prefix with suffixTokens' })
    } else {
      if (v.inputTokens !== undefined) ctx.addIssue({ code: 'custom', path: ['inputTokens'], message: 'with prefix, give suffixTokens (the unique part after the prefix) rather than inputTokens: a prompt is prefix.tokens + suffixTokens long' })
      else if (v.suffixTokens === undefined) ctx.addIssue({ code: 'custom', path: ['suffixTokens'], message: 'prefix needs suffixTokens: the length of the unique part of each prompt after its shared prefix' })
    }
  })

/** Which column of a record-shaped file holds what. One of prompt, messages or inputTokens gives the input. */
export const datasetColumnsSchema = z
  .object({
    prompt: z.string().min(1).optional().describe('the prompt text'),
    messages: z.string().min(1).optional().describe('a conversation: a list of { role, content } or { from, value }; its first user turn is the prompt and the reply after it the reference response'),
    response: z.string().min(1).optional().describe("a reference response, whose token count is the output length for outputTokens: 'dataset'"),
    inputTokens: z.string().min(1).optional().describe('an input length in tokens: a prompt of exactly that length is generated (trace replay)'),
    outputTokens: z.string().min(1).optional().describe("an output length in tokens, used by outputTokens: 'dataset'"),
  })
  .strict()

export const datasetOptionsSchema = z
  .object({
    prompts: z.array(z.string()).optional().describe('inline prompts'),
    file: z.string().min(1).optional().describe('prompt file, relative to the project root (the directory of the config file)'),
    format: z
      .enum(datasetFormats)
      .optional()
      .describe("file format; default from the extension: .jsonl -> jsonl, .json -> sharegpt (json with columns), .csv -> csv, .parquet or a folder -> parquet, otherwise text. 'mooncake' (JSONL) and 'burstgpt' (CSV) are request traces: lengths and arrival times per row"),
    field: z.string().min(1).optional().describe("jsonl only: the field holding the prompt (default 'prompt'); the same as columns.prompt"),
    columns: datasetColumnsSchema.optional().describe('json, jsonl, csv, parquet: which column holds what (default: prompt, else messages or conversations)'),
    split: z.string().min(1).optional().describe("parquet folder only: the split whose files are read (default 'train')"),
    outputTokens: z
      .union([lengthSpecSchema, z.literal('dataset')])
      .optional()
      .describe("each request's output length: a number, a distribution (drawn per prompt, seeded), or 'dataset' (the file's output-length column or the token count of its reference response); default generation.maxTokens"),
    synthetic: syntheticDatasetSchema.optional().describe('generated prompts of an exact token length'),
    multiTurn: z.boolean().optional().describe('each conversation (ShareGPT conversations, a messages column) is sent turn by turn, with its history, through the chat endpoint; default false: its first user turn only'),
    maxTurns: z.int().positive().optional().describe('multiTurn: keep at most this many user turns of each conversation'),
    n: z.number().int().positive().optional().describe('keep the first n prompts (after shuffling)'),
    repeat: z.number().int().positive().default(1).describe('repeat the whole list this many times'),
    shuffle: z.boolean().default(false).describe('shuffle the prompts (seeded)'),
    seed: z.number().int().default(0).describe('seed for shuffling, synthetic text and length draws'),
  })
  .strict()
  .superRefine((value, ctx) => {
    const sources = (['prompts', 'file', 'synthetic'] as const).filter((key) => value[key] !== undefined)
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: sources.length > 1 ? [sources[1]] : [],
        message:
          sources.length === 0
            ? 'dataset needs exactly one source: prompts, file or synthetic'
            : `dataset needs exactly one source: prompts, file or synthetic (got ${sources.join(' and ')})`,
      })
    }
    // format/field only mean something for files; silently ignoring them hides typos
    // like putting `field` next to inline prompts.
    if (value.file === undefined) {
      for (const key of ['format', 'field', 'columns', 'split'] as const) {
        if (value[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} only applies to a dataset file` })
      }
    } else {
      const format = value.format ?? inferDatasetFormat(value.file, value.columns !== undefined)
      if (value.field !== undefined && format !== 'jsonl') ctx.addIssue({ code: 'custom', path: ['field'], message: 'field only applies to jsonl datasets' })
      if (value.field !== undefined && value.columns !== undefined) ctx.addIssue({ code: 'custom', path: ['field'], message: 'field is the same as columns.prompt: give one of them' })
      const maybeFolder = value.format === undefined && format === 'text'
      if (value.columns !== undefined && !columnFormats.has(format) && !maybeFolder) ctx.addIssue({ code: 'custom', path: ['columns'], message: `columns only apply to json, jsonl, csv and parquet datasets (this one is ${format})` })
      // a path with no extension may be a parquet folder: that is known only once it is read
      if (value.split !== undefined && format !== 'parquet' && !maybeFolder) ctx.addIssue({ code: 'custom', path: ['split'], message: 'split only applies to parquet datasets' })
      if (traceFormats.has(format) && (value.columns !== undefined || value.field !== undefined))
        ctx.addIssue({ code: 'custom', path: [value.columns !== undefined ? 'columns' : 'field'], message: `a ${format} trace has a fixed layout: no columns or field (use format: 'jsonl' or 'csv' with columns for another layout)` })
      if (traceFormats.has(format) && value.multiTurn) ctx.addIssue({ code: 'custom', path: ['multiTurn'], message: `a ${format} trace has lengths, not conversations: multiTurn does not apply` })
      const c = value.columns
      if (c) {
        const inputs = (['prompt', 'messages', 'inputTokens'] as const).filter((k) => c[k] !== undefined)
        if (inputs.length > 1) ctx.addIssue({ code: 'custom', path: ['columns', inputs[1]], message: `columns: give one input column (prompt, messages or inputTokens), got ${inputs.join(' and ')}` })
        if (c.response !== undefined && c.inputTokens !== undefined) ctx.addIssue({ code: 'custom', path: ['columns', 'response'], message: 'columns.response goes with a prompt or messages column, not with inputTokens' })
      }
    }
    if (value.multiTurn && value.file === undefined) ctx.addIssue({ code: 'custom', path: ['multiTurn'], message: 'multiTurn needs a dataset file of conversations (ShareGPT, or a messages column)' })
    if (value.maxTurns !== undefined && !value.multiTurn) ctx.addIssue({ code: 'custom', path: ['maxTurns'], message: 'maxTurns only applies with multiTurn: true' })
    if (value.outputTokens === 'dataset' && value.file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['outputTokens'], message: "outputTokens: 'dataset' needs a dataset file with an output-length column or reference responses" })
    }
    if (value.prompts !== undefined && value.prompts.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['prompts'], message: 'prompts must not be empty' })
    }
  })

/** Parsed options (defaults applied). */
export type DatasetOptions = z.output<typeof datasetOptionsSchema>
/** What users write (defaults optional). loadDataset accepts either. */
export type DatasetOptionsInput = z.input<typeof datasetOptionsSchema>
