/**
 * Prompts of an exact token length, made of plain words, for synthetic datasets and for trace replay
 * (an input-length column).
 */
import { LlemError } from '../errors.js'
import type { Rng } from './random.js'

export interface DatasetTokenizer {
  // a served model tokenizes over HTTP: either form works
  tokenize(text: string): number[] | Promise<number[]>
  detokenize(tokens: number[]): string | Promise<string>
}

// Plain, common English words: they tokenize to about one token each in every BPE
// vocabulary, so the word count is a good first guess at the token count.
const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they ' +
  'you were her she there been one all we their has would when if so no will more out can other what time some ' +
  'them could these two may first then do any like my now over such our man me even most made after also did many ' +
  'before must through back years where much your way well down should because each just those people how too ' +
  'little state good very make world still own see men work long get here between both life being under never day ' +
  'same another know while last might us great old year off come since against go came right used take three'
).split(' ')

/**
 * A prompt of exactly `target` tokens as `tokenizer` counts them, where the tokenizer allows it.
 * Tokens the tokenizer adds to every text (a BOS: what tokenize('') returns) count towards the target,
 * as the server counts them in a prompt, but are never detokenized into the text, where they would
 * read as the literal "<s>". Truncating and detokenizing can re-tokenize to a different length
 * (merges across the cut), so the cut is nudged by the observed error a few times; if it never lands
 * exactly, the closest text is used.
 *
 * `lead` (a shared prefix) starts the text as it is, byte for byte, and its tokens count towards the
 * target: what follows it is cut to make up the rest, so a prompt is its prefix plus a suffix of
 * exactly the remaining length, and every prompt of one prefix begins with the same bytes.
 */
export async function synthesisePrompt(target: number, rng: Rng, tokenizer: DatasetTokenizer, lead = ''): Promise<string> {
  const special = (await tokenizer.tokenize('')).length
  // the tokens already spent: the BOS alone, or the lead with it
  const added = lead === '' ? special : (await tokenizer.tokenize(lead)).length
  const join = (piece: string) => (lead === '' ? piece : lead + (/^\s/.test(piece) ? '' : ' ') + piece)
  const words: string[] = []
  let wordCount = (lead === '' ? target : Math.max(1, target - added)) + 8
  let tokens: number[]
  for (;;) {
    while (words.length < wordCount) words.push(WORDS[Math.floor(rng() * WORDS.length)])
    tokens = (await tokenizer.tokenize(words.join(' '))).slice(special)
    if (tokens.length + added >= target) break
    if (wordCount > target * 16 + 1024) {
      throw new LlemError('DATASET_INVALID', `synthetic dataset: the tokenizer gave only ${tokens.length} tokens for ${wordCount} words, cannot reach ${target}`)
    }
    wordCount *= 2
  }

  let best = { text: '', error: Infinity }
  let cut = Math.max(1, target - added)
  const tried = new Set<number>()
  while (!tried.has(cut)) {
    tried.add(cut)
    const text = join(await tokenizer.detokenize(tokens.slice(0, cut)))
    const length = (await tokenizer.tokenize(text)).length
    if (length === target) return text
    if (Math.abs(length - target) < best.error) best = { text, error: Math.abs(length - target) }
    cut = Math.min(tokens.length, Math.max(1, cut + target - length))
  }
  return best.text
}
