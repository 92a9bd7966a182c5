"""Builds the tests' tiny random-weight Llama in a folder with the transformers of the interpreter that
runs it: config.json, model.safetensors, generation_config.json, and a byte-level tokenizer made with
the `tokenizers` library (tokenizer.json), so that from_pretrained needs no hub.

Token ids: 0 </s> (EOS), 1 <s> (BOS, put before every prompt), 2 <pad>, then one id per UTF-8 byte:
a prompt of n bytes is n + 1 tokens. --eos-always zeroes the final norm, so every logit is 0 and greedy
decoding picks id 0, EOS, at every step: a model that stops at once unless EOS is held back.

usage: python tiny_model.py OUT_DIR [--hidden 64] [--layers 2] [--eos-always] [--seed 0]
"""

import argparse
import json

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

SPECIAL = {'</s>': 0, '<s>': 1, '<pad>': 2}


def byte_tokenizer() -> Tokenizer:
    # one token per byte: the byte-level alphabet (256 symbols) as a BPE vocabulary without merges
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {**SPECIAL, **{ch: len(SPECIAL) + i for i, ch in enumerate(alphabet)}}
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.TemplateProcessing(single='<s> $A', pair='<s> $A <s> $B', special_tokens=[('<s>', 1)])
    return tok


def build(out: str, hidden: int, layers: int, eos_always: bool, seed: int) -> dict[str, object]:
    vocab_size = len(SPECIAL) + 256
    config = transformers.LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        bos_token_id=SPECIAL['<s>'],
        eos_token_id=SPECIAL['</s>'],
        pad_token_id=SPECIAL['<pad>'],
    )
    torch.manual_seed(seed)
    model = transformers.LlamaForCausalLM(config)
    if eos_always:
        with torch.no_grad():
            model.model.norm.weight.zero_()
    model.save_pretrained(out, safe_serialization=True)
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=byte_tokenizer(), bos_token='<s>', eos_token='</s>', pad_token='<pad>')
    fast.save_pretrained(out)
    return {'path': out, 'parameters': sum(p.numel() for p in model.parameters()), 'transformers': transformers.__version__}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument('out')
    p.add_argument('--hidden', type=int, default=64)
    p.add_argument('--layers', type=int, default=2)
    p.add_argument('--eos-always', action='store_true')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args()
    print(json.dumps(build(a.out, a.hidden, a.layers, a.eos_always, a.seed)))


if __name__ == '__main__':
    main()
