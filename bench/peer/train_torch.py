#!/usr/bin/env python3
"""The training peer for bench/train.mjs: PyTorch on the CPU (Debian's
python3-torch) training the same small CNN as dicomflow's `small-cnn` on
the same batches (xs.npy [N, H, W, 1] float32 and ys.npy [N] written by
bench/lib/train-run.mjs --export), batch 16, Adam (lr 1e-3), binary cross
entropy; prints one JSON line with the median step time.

Model, as src/train/models.ts builds it: conv 3x3 16 (same, ReLU) -> max pool
2 -> conv 3x3 32 (same, ReLU) -> max pool 2 -> conv 3x3 64 (same, linear) ->
global max pool -> dense 1 (sigmoid).

usage: train_torch.py DIR --threads T --steps N --warmup W
"""
import argparse
import json
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(64, 1),
    )


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    xs = torch.from_numpy(np.load(f"{a.dir}/xs.npy")).permute(0, 3, 1, 2).contiguous()  # NHWC -> NCHW
    ys = torch.from_numpy(np.load(f"{a.dir}/ys.npy")).reshape(-1, 1)
    n = xs.shape[0] // a.batch
    if n == 0:
        print(f"need at least {a.batch} samples, got {xs.shape[0]}", file=sys.stderr)
        return 2
    m = model()
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss()  # sigmoid + binary cross entropy, as the tfjs model's output and loss
    times = []
    for i in range(a.warmup + a.steps):
        k = i % n
        x = xs[k * a.batch:(k + 1) * a.batch]
        y = ys[k * a.batch:(k + 1) * a.batch]
        t = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(m(x), y)
        loss.backward()
        opt.step()
        if i >= a.warmup:
            times.append((time.perf_counter() - t) * 1000)
    ms = statistics.median(times)
    print(json.dumps({"backend": f"pytorch {torch.__version__} cpu, {a.threads} thread(s)", "size": xs.shape[2], "batchSize": a.batch,
                      "steps": a.steps, "medianStepMs": ms, "imagesPerSecond": a.batch * 1000 / ms}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
