"""A byte-level Hugging Face tokenizer folder (tokenizer.json and its config), made locally.

GuideLLM and AIPerf load a tokenizer from the hub by default; the tests give them this folder instead,
so nothing is downloaded. Token counts in the comparisons come from the server's usage, never from it.
Usage: byte_tokenizer.py OUT_DIR (needs transformers and tokenizers, not torch)
"""

import sys

import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers

SPECIAL = {'</s>': 0, '<s>': 1, '<pad>': 2}


def main() -> None:
    # one token per byte: the byte-level alphabet as a BPE vocabulary without merges
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {**SPECIAL, **{ch: len(SPECIAL) + i for i, ch in enumerate(alphabet)}}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token='<s>', eos_token='</s>', pad_token='<pad>')
    fast.save_pretrained(sys.argv[1])


if __name__ == '__main__':
    main()
