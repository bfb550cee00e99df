#!/usr/bin/env python3
"""PyTorch side of bench_pretrain: the rotation, VAE, CMC and AMDIM pretext steps on the same
ResNet9 (tests/fixtures/models/make_model_fixtures.Net), same batch, width, memory bank and
K as bench_pretrain.cpp builds them (pretext/src/*.cpp), same threads. Same shapes and
FLOPs as our step, not bit-identical values. One JSON line per method:
{"method", "img_per_s"} (+ "peak_mem_mb" on CUDA). Runs on torch 1.13 (CPU) and 2.x."""
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


def adam(modules):
    # = our optim::Adam(params, {1e-3, 0.8, 0.999, 1e-8, 1e-5}) in bench_pretrain.cpp (coupled L2).
    params = [p for m in modules for p in m.parameters()]
    return torch.optim.Adam(params, lr=1e-3, betas=(0.8, 0.999), eps=1e-8, weight_decay=1e-5)


def train_step(opt, loss):
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def stages(net, x):
    """Net.forward, keeping layer2 / layer3 (our FeatureNet stages[2], stages[3]) for AMDIM."""
    x = F.relu(net.bn1(net.conv1(x)))
    x = net.layer1(x)
    s3 = net.layer2(x)
    s4 = net.layer3(s3)
    feats = net.prepool_fc(s4.permute(0, 2, 3, 1)).mean(dim=(1, 2))  # Net's per-pixel form
    return s3, s4, feats


def amdim_nce(src, trg, clip=30.0, reg_weight=0.05):
    """losses.cpp amdim_nce: src [B, D], trg [B, D, L]; the positives of row i are columns
    [i*L, (i+1)*L); negatives are every location of every other image."""
    B, D, L = trg.shape
    raw = src @ trg.permute(1, 0, 2).reshape(D, B * L) / math.sqrt(D)  # [B, B*L]
    reg = reg_weight * raw.pow(2).mean()
    cl = clip * torch.tanh(raw / clip)
    eye = torch.eye(B, dtype=torch.bool, device=src.device)
    pos_mask = eye.repeat_interleave(L, dim=1)  # [B, B*L]
    pos = cl.view(B, B, L)[eye]  # [B, L]
    lse_neg = torch.logsumexp(cl.masked_fill(pos_mask, float("-inf")), dim=1, keepdim=True)
    loss = -(pos - torch.logaddexp(pos, lse_neg)).mean()
    return loss, reg


def timed(step, iters, warmup, cuda):
    times = []
    for i in range(warmup + iters):
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        step(i)
        if cuda:
            torch.cuda.synchronize()
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
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--method", default="rotation,vae,cmc,amdim", help="comma-separated")
    # bench_pretrain.cpp's MethodConfig: bank_size 4096, nce_k 1024, nce_t 0.1, nce_m 0.2.
    ap.add_argument("--bank-size", type=int, default=4096)
    ap.add_argument("--nce-k", type=int, default=1024)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    B, R = a.batch, a.res
    torch.manual_seed(0)
    x = torch.randn(B, 3, R, R).to(dev)
    x2 = torch.randn(B, 3, R, R).to(dev)  # AMDIM's second view
    idx = torch.arange(B, device=dev)     # dataset indices (bench: 0..B-1)

    def build_rotation():
        net = Net("resnet9", width=a.width, out_feats=256).to(dev)
        head = nn.Linear(256, 4).to(dev)
        opt = adam([net, head])
        q = B // 4
        labels = torch.arange(4).repeat_interleave(q).to(dev)

        def step(i):
            xr = torch.cat([torch.rot90(x[k * q:(k + 1) * q], k, (2, 3)) for k in range(4)])
            _, f, _ = net(xr)
            train_step(opt, F.cross_entropy(head(f), labels))
        return step

    def build_vae():
        net = Net("resnet9", width=a.width, out_feats=256).to(dev)
        mu, logvar = nn.Linear(256, 256).to(dev), nn.Linear(256, 256).to(dev)
        dec = vae_decoder(256, R, a.width).to(dev)
        opt = adam([net, mu, logvar, dec])

        def step(i):
            _, f, _ = net(x)
            m, lv = mu(f), logvar(f)
            z = m + torch.exp(0.5 * lv) * torch.randn_like(m)
            recon = dec(z.view(B, 256, 1, 1))
            kl = -0.5 * torch.sum(1 + lv - m.pow(2) - lv.exp())
            train_step(opt, F.mse_loss(recon, x) + 1e-5 * kl)
        return step

    def build_cmc():
        # cmc.cpp: half-width ResNet9 per view (L: 1 channel, ab: 2), 128-d outputs.
        D, N, K, T, mom = 128, a.bank_size, a.nce_k, 0.1, 0.2
        enc_l = Net("resnet9_half", width=a.width, in_channels=1, out_feats=D).to(dev)
        enc_ab = Net("resnet9_half", width=a.width, in_channels=2, out_feats=D).to(dev)
        stdv = 1.0 / math.sqrt(D / 3)
        bank_l = torch.empty(N, D, device=dev).uniform_(-stdv, stdv)
        bank_ab = torch.empty(N, D, device=dev).uniform_(-stdv, stdv)
        opt = adam([enc_l, enc_ab])
        gen = torch.Generator()

        def update(bank, f):
            with torch.no_grad():
                v = mom * bank.index_select(0, idx) + (1 - mom) * f.detach()
                bank.index_copy_(0, idx, F.normalize(v, dim=1))

        def step(i):
            fl = F.normalize(enc_l(x[:, :1])[1], dim=1)
            fab = F.normalize(enc_ab(x[:, 1:3])[1], dim=1)
            # K seeded negatives per sample (host-drawn, as ours), column 0 = the positive.
            gen.manual_seed(i)
            neg = torch.randint(0, N, (B, K), generator=gen).to(dev)
            allidx = torch.cat([idx.view(B, 1), neg], 1)
            w_l = bank_l.index_select(0, allidx.view(-1)).view(B, K + 1, D)
            w_ab = bank_ab.index_select(0, allidx.view(-1)).view(B, K + 1, D)
            logits_ab = torch.bmm(w_l, fab.unsqueeze(2)).squeeze(2) / T
            logits_l = torch.bmm(w_ab, fl.unsqueeze(2)).squeeze(2) / T
            zeros = torch.zeros(B, dtype=torch.long, device=dev)
            loss = F.cross_entropy(logits_l, zeros) + F.cross_entropy(logits_ab, zeros)
            update(bank_l, fl)
            update(bank_ab, fab)
            train_step(opt, loss)
        return step

    def build_amdim():
        # amdim.cpp: one ResNet9 on both views stacked (2B), r5 from layer3, r7 from layer2.
        D = 256
        net = Net("resnet9", width=a.width, out_feats=D).to(dev)
        rkhs_5 = nn.Conv2d(net.layer3[0].conv1.out_channels, D, 1).to(dev)
        rkhs_7 = nn.Conv2d(net.layer2[0].conv1.out_channels, D, 1).to(dev)
        opt = adam([net, rkhs_5, rkhs_7])
        gen = torch.Generator()

        def step(i):
            s3, s4, r1 = stages(net, torch.cat([x, x2], 0))
            r5 = rkhs_5(F.adaptive_avg_pool2d(s4, 5)).flatten(2)  # [2B, D, 25]
            r7 = rkhs_7(F.adaptive_avg_pool2d(s3, 7)).flatten(2)  # [2B, D, 49]
            r1_1, r1_2, r5_1, r5_2, r7_1, r7_2 = r1[:B], r1[B:], r5[:B], r5[B:], r7[:B], r7[B:]
            gen.manual_seed(i)
            loc1 = torch.randint(0, 25, (B,), generator=gen).to(dev)
            loc2 = torch.randint(0, 25, (B,), generator=gen).to(dev)
            ar = torch.arange(B, device=dev)
            terms = [amdim_nce(r1_1, r5_2), amdim_nce(r1_2, r5_1),
                     amdim_nce(r1_1, r7_2), amdim_nce(r1_2, r7_1),
                     amdim_nce(r5_1[ar, :, loc1], r5_2), amdim_nce(r5_2[ar, :, loc2], r5_1)]
            loss = 0.5 * sum(l + r for l, r in terms)
            train_step(opt, loss)
        return step

    builders = {"rotation": build_rotation, "vae": build_vae, "cmc": build_cmc,
                "amdim": build_amdim}
    for name in a.method.split(","):
        # A line without img_per_s (unknown method, OOM) gives a null ratio, not a lost run.
        if name not in builders:
            print(json.dumps({"method": name, "error": "no PyTorch twin"}), flush=True)
            continue
        torch.manual_seed(0)
        step = None
        try:
            step = builders[name]()
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            t = timed(step, a.iters, a.warmup, cuda)
            r = {"method": name, "img_per_s": B / t}
            if cuda:
                r["peak_mem_mb"] = torch.cuda.max_memory_allocated() / 2**20
        except RuntimeError as e:
            r = {"method": name, "error": str(e).splitlines()[0] if str(e) else type(e).__name__}
        print(json.dumps(r), flush=True)
        del step
        if cuda:
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
