"""The reference for the transformers worker's overhead: the plainest model.generate() loop that does the
same work as llem's worker (the same model folder, float32, tokenizer with left padding, prompts, greedy
decoding, exactly MAX_TOKENS new tokens, one request at a time), with no streamer and no protocol.

It loads the model, warms up, prints "ready", then for each line N on stdin runs the next N requests and
prints one JSON line: output tokens and the seconds the N generate() calls took (tokenization included,
as in the worker). Driven by transformers-overhead.perf.ts, which alternates it with llem's worker.

usage: python bare_generate_loop.py MODEL_DIR MAX_TOKENS
"""

from __future__ import annotations

import json
import sys
import time

import torch
import transformers

PROMPTS = ['Hello there', 'Tell me a story', 'What is energy?', 'Write a haiku about GPUs']


def main() -> None:
    model_dir, max_tokens = sys.argv[1], int(sys.argv[2])
    kwarg = 'dtype' if tuple(int(x) for x in transformers.__version__.split('.')[:2]) >= (4, 56) else 'torch_dtype'
    tok = transformers.AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = 'left'
    model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, **{kwarg: torch.float32}).eval()
    done = 0

    def one(prompt: str) -> int:
        enc = tok([prompt], padding=True, return_tensors='pt')
        with torch.no_grad():
            out = model.generate(**enc, max_new_tokens=max_tokens, min_new_tokens=max_tokens, do_sample=False, pad_token_id=tok.pad_token_id)
        return int(out.shape[1] - enc['input_ids'].shape[1])

    for i in range(4):
        one(PROMPTS[i % len(PROMPTS)])
    print('ready', flush=True)
    for line in sys.stdin:
        n = int(line)
        t0 = time.perf_counter()
        tokens = 0
        for _ in range(n):
            tokens += one(PROMPTS[done % len(PROMPTS)])
            done += 1
        print(json.dumps({'output_tokens': tokens, 'seconds': time.perf_counter() - t0}), flush=True)


if __name__ == '__main__':
    main()
