/**
 * Synthetic prompts that share prefixes (dataset.synthetic.prefix): a pool of `count` prefixes of an
 * exact token length, and prompts made of one of them plus a unique suffix of an exact length. Prompt
 * i uses prefix i mod count, so count 1 gives every prompt the same prefix (what a prefix cache
 * reuses) and a count at least the number of prompts gives none a shared one (what it cannot).
 */
import { createRng, deriveSeed } from './random.js'
import { synthesisePrompt, type DatasetTokenizer } from './synthetic-text.js'

export interface SharedPrefix {
  count: number
  tokens: number
}

/** The draw stream prefixes are seeded from, apart from the prompts' own (dataset.ts uses 1 and 2 for lengths). */
const PREFIX_STREAM = 3

/** A collision (tiny lengths) is retried on another stream, so the texts stay distinct where they can. */
const ATTEMPTS = 8

export function prefixIdOf(prefix: SharedPrefix, promptId: number): number {
  return promptId % prefix.count
}

export class PrefixPool {
  private readonly texts = new Map<number, string>()
  private readonly seenPrefixes = new Set<string>()

  constructor(
    private readonly prefix: SharedPrefix,
    private readonly seed: number,
    private readonly tokenizer: DatasetTokenizer,
  ) {}

  /** Prefix k's text: made when first used, the same whichever prompts use it. */
  async text(k: number): Promise<string> {
    const known = this.texts.get(k)
    if (known !== undefined) return known
    const made = await distinct(this.seenPrefixes, (attempt) => synthesisePrompt(this.prefix.tokens, createRng(deriveSeed(this.seed, PREFIX_STREAM, k, attempt)), this.tokenizer))
    this.texts.set(k, made)
    return made
  }

  /** Prompt `id`: its prefix, then a suffix of `suffixTokens`, so the whole is prefix.tokens + suffixTokens long. */
  async prompt(id: number, suffixTokens: number, seen: Set<string>): Promise<string> {
    const lead = await this.text(prefixIdOf(this.prefix, id))
    return distinct(seen, (attempt) => synthesisePrompt(this.prefix.tokens + suffixTokens, createRng(deriveSeed(this.seed, id, attempt)), this.tokenizer, lead))
  }
}

async function distinct(seen: Set<string>, make: (attempt: number) => Promise<string>): Promise<string> {
  let text = ''
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    text = await make(attempt)
    if (!seen.has(text)) break
  }
  seen.add(text)
  return text
}
