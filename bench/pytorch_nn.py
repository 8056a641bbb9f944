"""PyTorch's side of bench/nn.bench.ts: the same shapes, models and PPO loss, timed the same way.

Run by `npm run bench -- --compare-pytorch` with Debian's python3-torch; prints one JSON object.
    /usr/bin/python3 bench/pytorch_nn.py [--threads 1,2] [--quick]
Debian's torch calls whichever BLAS the alternatives system points to: with only the reference
libblas3 its GEMM runs at a few GFLOPS, so install libopenblas0-pthread as well (OpenBLAS, which the
issue's figures are from).
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn
from torch.distributions import Categorical


def timed(fn, warmup, reps, min_seconds):
    """Median milliseconds of fn() after warmup calls, over at least reps calls and min_seconds."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < reps or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def ppo_loss(logits, values, actions, old_logprob, advantages, returns):
    """CleanRL ppo.py's loss (clip 0.2, entropy 0.01, value 0.5)."""
    dist = Categorical(logits=logits)
    ratio = (dist.log_prob(actions) - old_logprob).exp()
    pg_loss = torch.max(-advantages * ratio, -advantages * torch.clamp(ratio, 0.8, 1.2)).mean()
    v_loss = 0.5 * ((values.view(-1) - returns) ** 2).mean()
    return pg_loss - 0.01 * dist.entropy().mean() + 0.5 * v_loss


def rollout(batch, obs_shape, actions, generator):
    return (
        torch.rand((batch, *obs_shape), generator=generator),
        torch.randint(0, actions, (batch,), generator=generator),
        torch.randn(batch, generator=generator) * 0.1 - 0.7,
        torch.randn(batch, generator=generator),
        torch.randn(batch, generator=generator),
    )


def step_fn(forward, params, data):
    optimizer = torch.optim.Adam(params, lr=2.5e-4, eps=1e-5)
    obs, actions, old_logprob, advantages, returns = data

    def step():
        logits, values = forward(obs)
        loss = ppo_loss(logits, values, actions, old_logprob, advantages, returns)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, 0.5)
        optimizer.step()

    return step


def mlp(out):
    return nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, out))


def nature_cnn():
    trunk = nn.Sequential(
        nn.Conv2d(4, 32, 8, stride=4), nn.ReLU(),
        nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
        nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(3136, 512), nn.ReLU(),
    )
    return trunk, nn.Linear(512, 4), nn.Linear(512, 1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds = 0.3 if args.quick else 1.0
    generator = torch.Generator().manual_seed(1)
    result = {"torch": torch.__version__, "threads": {}}
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        out = {}
        for m, n, k in [(512, 512, 512), (256, 512, 3136)]:
            a, b = torch.rand(m, k), torch.rand(k, n)
            ms = timed(lambda: torch.mm(a, b), 3, 5, seconds)
            out[f"gemm {m}x{n}x{k} GFLOPS"] = 2 * m * n * k / ms / 1e6
        for batch in [64, 512]:
            actor, critic = mlp(2), mlp(1)
            params = list(actor.parameters()) + list(critic.parameters())
            step = step_fn(lambda o: (actor(o), critic(o)), params, rollout(batch, (4,), 2, generator))
            out[f"mlp step b{batch} ms"] = timed(step, 20, 50, seconds)
        trunk, actor, critic = nature_cnn()
        params = list(trunk.parameters()) + list(actor.parameters()) + list(critic.parameters())

        def forward(o):
            hidden = trunk(o)
            return actor(hidden), critic(hidden)

        for batch in [32, 256]:
            step = step_fn(forward, params, rollout(batch, (4, 84, 84), 4, generator))
            out[f"cnn step b{batch} ms"] = timed(step, 2, 3 if batch > 100 else 10, seconds)
        obs = torch.rand((8, 4, 84, 84), generator=generator)
        with torch.no_grad():
            out["cnn forward b8 ms"] = timed(lambda: forward(obs), 5, 30, seconds)
        result["threads"][str(threads)] = out
    print(json.dumps(result))


if __name__ == "__main__":
    main()
