#!/usr/bin/env python3
"""The conv autoencoder step of `npm run bench` (case `conv`) in PyTorch, for comparison on the same machine.

  conv 5x5 stride 2, 32 filters, relu -> conv 5x5/2, 64, relu -> dense 2 -> dense 7*7*64, relu ->
  transposed conv 5x5/2, 32, relu -> transposed conv 5x5/2, 1, sigmoid (28x28x1 again);
  mean squared error against the input, Adam (lr 1e-3), batch 100.

Inputs are uniform random images (the time of a step does not depend on the values). Prints one
JSON line: the median wall-clock and process CPU ms per step of `--steps` timed steps after
`--warmup` steps (fewer past `--budget` seconds), the single steps, and the torch version and threads. Debian: `apt-get install python3-torch`; run with /usr/bin/python3.
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def model() -> nn.Module:
    # padding 2 with 5x5 filters at stride 2 is tfjs's 'same' here (28 -> 14 -> 7); output_padding 1
    # makes the transposed convolutions give 7 -> 14 -> 28, as tfjs's conv2dTranspose with 'same'.
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, stride=2, padding=2),
        nn.ReLU(),
        nn.Conv2d(32, 64, 5, stride=2, padding=2),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(7 * 7 * 64, 2),
        nn.Linear(2, 7 * 7 * 64),
        nn.ReLU(),
        nn.Unflatten(1, (64, 7, 7)),
        nn.ConvTranspose2d(64, 32, 5, stride=2, padding=2, output_padding=1),
        nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 5, stride=2, padding=2, output_padding=1),
        nn.Sigmoid(),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--steps", type=int, default=31)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    ap.add_argument(
        "--budget", type=float, default=60, help="seconds after which warm-up and timing stop early (at least 3 timed steps), e.g. when OpenMP threads spin on a loaded machine"
    )
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    data = torch.rand(args.warmup + args.steps, args.batch, 1, 28, 28)
    out = net(data[0])
    assert out.shape == data[0].shape, out.shape

    def step(x: torch.Tensor) -> float:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(net(x), x)
        loss.backward()
        opt.step()
        return loss.item()

    start = time.perf_counter()
    for i in range(args.warmup):
        step(data[i])
        if time.perf_counter() - start > args.budget / 2:
            break
    times = []
    cpu = []
    losses = []
    for i in range(args.steps):
        t0 = time.perf_counter()
        c0 = time.process_time()
        losses.append(step(data[args.warmup + i]))
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        if len(times) >= 3 and time.perf_counter() - start > args.budget:
            break
    print(
        json.dumps(
            {
                "ms": statistics.median(times),
                "cpuMs": statistics.median(cpu),
                "steps": [round(t, 2) for t in times],
                "loss": losses[-1],
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "mkldnn": torch.backends.mkldnn.is_available(),
            }
        )
    )


if __name__ == "__main__":
    main()
