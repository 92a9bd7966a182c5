"""A steady fp16 matmul load on cuda:0 for N seconds, for scripts/gpu-check.

Prints one JSON line: the load's wall-clock span and torch.cuda.power_draw() samples (mW, through
pynvml) taken every ~100 ms, or the reason they are missing. Uses only the device's own PyTorch.
"""

import json
import sys
import time

import torch

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
dev = torch.device('cuda:0')
a = torch.randn(8192, 8192, device=dev, dtype=torch.float16)
b = torch.randn(8192, 8192, device=dev, dtype=torch.float16)
torch.cuda.synchronize()
samples, power_error = [], None
start = time.time()
last = 0.0
while time.time() - start < seconds:
    for _ in range(4):
        a = (a @ b) * 1e-3
    torch.cuda.synchronize()
    now = time.time()
    if now - last >= 0.1 and power_error is None:
        try:
            samples.append([now, torch.cuda.power_draw(dev)])
        except Exception as e:  # pynvml missing, or a torch without power_draw
            power_error = f'{type(e).__name__}: {e}'
        last = now
end = time.time()
print(
    json.dumps(
        {
            'start': start,
            'end': end,
            'power_draw_mw': samples,
            'power_error': power_error,
            'device': torch.cuda.get_device_name(dev),
            'torch': torch.__version__,
        }
    )
)
