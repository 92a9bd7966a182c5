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

export const datasetFormats = ['text', 'jsonl', 'sharegpt'] as const
export type DatasetFormat = (typeof datasetFormats)[number]

export const syntheticDatasetSchema = z
  .object({
    inputTokens: z.number().int().positive().describe('target prompt length in tokens, as counted by the model tokenizer'),
    n: z.number().int().positive().optional().describe('how many distinct prompts to generate (default: the top-level n, else 1)'),
  })
  .strict()

export const datasetOptionsSchema = z
  .object({
    prompts: z.array(z.string()).optional().describe('inline prompts'),
    file: z.string().min(1).optional().describe('prompt file, relative to the project root (the directory of the config file)'),
    format: z
      .enum(datasetFormats)
      .optional()
      .describe('file format; default from the extension: .jsonl -> jsonl, .json -> sharegpt, otherwise text'),
    field: z.string().min(1).optional().describe("jsonl only: the field holding the prompt (default 'prompt')"),
    synthetic: syntheticDatasetSchema.optional().describe('generated prompts of an exact token length'),
    n: z.number().int().positive().optional().describe('keep the first n prompts (after shuffling)'),
    repeat: z.number().int().positive().default(1).describe('repeat the whole list this many times'),
    shuffle: z.boolean().default(false).describe('shuffle the prompts (seeded)'),
    seed: z.number().int().default(0).describe('seed for shuffling and synthetic text'),
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
      for (const key of ['format', 'field'] as const) {
        if (value[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `${key} only applies to a dataset file` })
      }
    } else if (value.field !== undefined && (value.format ?? inferDatasetFormat(value.file)) !== 'jsonl') {
      ctx.addIssue({ code: 'custom', path: ['field'], message: 'field only applies to jsonl datasets' })
    }
    if (value.prompts !== undefined && value.prompts.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['prompts'], message: 'prompts must not be empty' })
    }
  })

/** Parsed options (defaults applied). */
export type DatasetOptions = z.output<typeof datasetOptionsSchema>
/** What users write (defaults optional). loadDataset accepts either. */
export type DatasetOptionsInput = z.input<typeof datasetOptionsSchema>

/** The format used when `format` is not given. */
export function inferDatasetFormat(file: string): DatasetFormat {
  const lower = file.toLowerCase()
  if (lower.endsWith('.jsonl')) return 'jsonl'
  if (lower.endsWith('.json')) return 'sharegpt'
  return 'text'
}
