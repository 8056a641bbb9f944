"""PyTorch CUDA's side of bench/webgpu.bench.ts: GEMM and the Nature CNN's PPO step on the GPU.

Run by `npm run bench -- --only webgpu --compare-pytorch` (bench/gpu.sh does); prints one JSON
object: float32 with TF32 off (full float32 products, as WebGPU's) and with TF32 on (PyTorch's
default for convolutions), or {"unavailable": why} without CUDA.
    python3 bench/pytorch_gpu.py [--quick]
The shapes, model, loss and optimizer are bench/pytorch_nn.py's; each time ends with a
torch.cuda.synchronize(), as ours end with the results read back.
"""

import argparse
import json

import torch

from pytorch_nn import nature_cnn, rollout, step_fn, timed


def synchronized(fn):
    def run():
        fn()
        torch.cuda.synchronize()

    return run


def measure(seconds):
    device = torch.device("cuda")
    generator = torch.Generator().manual_seed(1)
    out = {}
    for m, n, k in [(512, 512, 512), (256, 512, 3136), (1024, 1024, 1024)]:
        a, b = torch.rand(m, k, device=device), torch.rand(k, n, device=device)
        ms = timed(synchronized(lambda: torch.mm(a, b)), 10, 50, seconds)
        out[f"gemm {m}x{n}x{k} GFLOPS"] = 2 * m * n * k / ms / 1e6
    trunk, actor, critic = (module.to(device) for module in nature_cnn())
    params = list(trunk.parameters()) + list(actor.parameters()) + list(critic.parameters())

    def forward(o):
        hidden = trunk(o)
        return actor(hidden), critic(hidden)

    for batch in [32, 256]:
        data = tuple(t.to(device) for t in rollout(batch, (4, 84, 84), 4, generator))
        step = synchronized(step_fn(forward, params, data))
        out[f"cnn step b{batch} ms"] = timed(step, 5, 20, seconds)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(json.dumps({"unavailable": f"torch {torch.__version__} finds no CUDA device"}))
        return
    seconds = 0.5 if args.quick else 2.0
    result = {"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0)}
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        result[f"torch cuda tf32 {'on' if tf32 else 'off'}"] = measure(seconds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
