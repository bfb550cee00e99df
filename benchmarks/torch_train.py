#!/usr/bin/env python3
"""PyTorch side of bench_train: the same model (tests/fixtures/models/make_model_fixtures.Net,
which mirrors our ResNet9/ResNet50 layer for layer), same batch, same threads, one training
step = forward + CE on the heads + backward + Adam step. Prints one JSON line per config."""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "fixtures", "models"))
from make_model_fixtures import Net  # noqa: E402


def bench(arch, res, batch, width, iters, warmup, device):
    torch.manual_seed(0)
    net = Net(arch, width=width, out_feats=256, out_classes=(10, 5)).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.8, 0.999), weight_decay=1e-4)
    x = torch.randn(batch, 3, res, res, device=device)
    y1 = torch.randint(0, 10, (batch,), device=device)
    y2 = torch.randint(0, 5, (batch,), device=device)
    times = []
    for i in range(warmup + iters):
        if device == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        _, _, logits = net(x)
        loss = F.cross_entropy(logits[0], y1) + F.cross_entropy(logits[1], y2)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device == "cuda":
            torch.cuda.synchronize()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    t = statistics.median(times)
    return {"name": "train_step", "arch": arch, "res": res, "batch": batch, "width": width,
            "device": device, "img_per_s": batch / t, "ms": t * 1e3}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--case", action="append", required=True,
                    help="arch:res:batch:width, e.g. resnet9:64:32:1.0")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for c in a.case:
        arch, res, batch, width = c.split(":")
        r = bench(arch, int(res), int(batch), float(width), a.iters, a.warmup, a.device)
        r["case"] = c
        print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
