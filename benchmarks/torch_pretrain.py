#!/usr/bin/env python3
"""PyTorch side of bench_pretrain: the rotation and VAE pretext steps on the same ResNet9
(tests/fixtures/models/make_model_fixtures.Net), same batch, width and threads. One JSON
line per method: {"method", "img_per_s"}. CMC and AMDIM have no twin here yet."""
import argparse
import json
import math
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "fixtures", "models"))
from make_model_fixtures import Net, s  # noqa: E402


def vae_decoder(feat, res, width):
    layers, c_in = [], feat
    for i in range(int(round(math.log2(res))) - 1):
        c_out = s(1 << min(8, 10 - i), width)
        layers += [nn.ConvTranspose2d(c_in, c_out, 4, 2, 0 if i == 0 else 1, bias=False),
                   nn.BatchNorm2d(c_out), nn.ReLU()]
        c_in = c_out
    layers.append(nn.Conv2d(c_in, 3, 1))
    return nn.Sequential(*layers)


def timed(step, iters, warmup):
    times = []
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--res", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--width", type=float, default=0.25)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    x = torch.randn(a.batch, 3, a.res, a.res)

    net = Net("resnet9", width=a.width, out_feats=256)
    head = nn.Linear(256, 4)
    opt = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=1e-3, betas=(0.8, 0.999))
    q = a.batch // 4
    labels = torch.arange(4).repeat_interleave(q)

    def rotation_step():
        xr = torch.cat([torch.rot90(x[k * q:(k + 1) * q], k, (2, 3)) for k in range(4)])
        _, f, _ = net(xr)
        loss = F.cross_entropy(head(f), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    t = timed(rotation_step, a.iters, a.warmup)
    print(json.dumps({"method": "rotation", "img_per_s": a.batch / t}), flush=True)

    net = Net("resnet9", width=a.width, out_feats=256)
    mu, logvar = nn.Linear(256, 256), nn.Linear(256, 256)
    dec = vae_decoder(256, a.res, a.width)
    params = [p for m in (net, mu, logvar, dec) for p in m.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3, betas=(0.8, 0.999))

    def vae_step():
        _, f, _ = net(x)
        m, lv = mu(f), logvar(f)
        z = m + torch.exp(0.5 * lv) * torch.randn_like(m)
        recon = dec(z.view(a.batch, 256, 1, 1))
        kl = -0.5 * torch.sum(1 + lv - m.pow(2) - lv.exp())
        loss = F.mse_loss(recon, x) + 1e-5 * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    t = timed(vae_step, a.iters, a.warmup)
    print(json.dumps({"method": "vae", "img_per_s": a.batch / t}), flush=True)


if __name__ == "__main__":
    main()
