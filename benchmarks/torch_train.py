#!/usr/bin/env python3
"""PyTorch side of bench_train: the same model (tests/fixtures/models/make_model_fixtures.Net,
which mirrors our ResNet9/ResNet50 layer for layer), same batch, same threads, one training
step = forward + CE on the heads + backward + Adam step. Prints one JSON line per
(config, mode), keyed "<case>/<mode>" in the field "key".

Modes (--modes, comma-separated; default fp32):
  fp32     eager, NCHW, fp32 (TF32 off, as in our engine)
  amp      eager, channels_last, torch.autocast fp16 + GradScaler
  compile  torch.compile of the amp step (forward + loss; backward through AOTAutograd)
A mode that cannot run here (fp16 autocast without CUDA, torch.compile before torch 2.0)
prints a line with "skipped": reason; one that fails prints "error": message.
On CUDA each step is synchronised and peak memory (max_memory_allocated / _reserved) is
reset after the warm-up steps, so it is the steady-state step's peak."""
import argparse
import contextlib
import gc
import json
import os
import signal
import statistics
import sys
import time
import traceback

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "fixtures", "models"))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from make_model_fixtures import Net  # noqa: E402

MODES = ("fp32", "amp", "compile")
# The row being measured and how far it got: a SIGTERM (the GPU check's per-step timeout,
# e.g. during a long torch.compile) still prints it, with the step it stopped at.
PROGRESS = {"row": None, "step": None, "t0": None}


def on_sigterm(signum, frame):
    r = PROGRESS["row"]
    if r is not None:
        i, t0 = PROGRESS["step"], PROGRESS["t0"]
        r = dict(r, error="terminated (SIGTERM, the caller's time limit) at step %s after %.0f s%s"
                 % (i, time.perf_counter() - t0, " (compiling)" if r["mode"] == "compile" and
                    (i or 0) < 3 else ""))
        print(json.dumps(r), flush=True)
    os._exit(124)


def skip_reason(mode, device):
    if mode == "compile" and not hasattr(torch, "compile"):
        return "torch.compile needs torch >= 2.0 (have %s)" % torch.__version__
    if mode in ("amp", "compile") and device != "cuda":
        return "fp16 autocast needs CUDA (torch CPU autocast is bf16 only)"
    return None


def grad_scaler():
    if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler"):
        return torch.amp.GradScaler("cuda")
    return torch.cuda.amp.GradScaler()


def bench(arch, res, batch, width, iters, warmup, device, mode, profile=None):
    cuda = device == "cuda"
    torch.manual_seed(0)
    if cuda:
        torch.backends.cudnn.benchmark = True
        # fp32 means fp32 (our engine's default); TF32 would be a different precision.
        torch.backends.cudnn.allow_tf32 = mode != "fp32"
        torch.backends.cuda.matmul.allow_tf32 = False
    amp = mode in ("amp", "compile")
    net = Net(arch, width=width, out_feats=256, out_classes=(10, 5)).to(device)
    x = torch.randn(batch, 3, res, res, device=device)
    if amp:
        net = net.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.8, 0.999), weight_decay=1e-4)
    y1 = torch.randint(0, 10, (batch,), device=device)
    y2 = torch.randint(0, 5, (batch,), device=device)

    def loss_fn(inp):
        with (torch.autocast(device_type="cuda", dtype=torch.float16) if amp
              else contextlib.nullcontext()):
            _, _, logits = net(inp)
            return F.cross_entropy(logits[0], y1) + F.cross_entropy(logits[1], y2)

    if mode == "compile":
        loss_fn = torch.compile(loss_fn)
        warmup = max(warmup, 3)  # compiles forward on the 1st step, backward on the 1st backward
    scaler = grad_scaler() if amp else None

    def step():
        loss = loss_fn(x)
        opt.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()

    times, warm = [], []
    PROGRESS["t0"] = time.perf_counter()
    for i in range(warmup + iters):
        PROGRESS["step"] = i
        if cuda:
            if i == warmup:
                torch.cuda.reset_peak_memory_stats()
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        step()
        if cuda:
            torch.cuda.synchronize()
        (times if i >= warmup else warm).append(time.perf_counter() - t0)
        if i < warmup:  # compile time shows here: sizes the caller's time limits
            print("%s %s warm-up step %d: %.1f s" % (arch, mode, i, warm[-1]), file=sys.stderr,
                  flush=True)
    t = statistics.median(times)
    if profile:
        try:
            write_profile(profile, step, 3)
        except Exception as e:  # the timing above stands without the profile
            with open(profile, "w") as f:
                f.write("profile failed: %s: %s\n" % (type(e).__name__, e))
    r = {"img_per_s": batch / t, "ms": t * 1e3, "peak_mem_mb": None, "reserved_peak_mb": None,
         "warmup_s": [round(w, 3) for w in warm]}
    if cuda:
        r["peak_mem_mb"] = torch.cuda.max_memory_allocated() / 2**20
        r["reserved_peak_mb"] = torch.cuda.max_memory_reserved() / 2**20
    return r


def write_profile(path, step, steps):
    """GPU kernels of `steps` steady-state steps (torch.profiler), most time first, per step:
    the kernel mix our own profile is compared with."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
    rows = {}
    for e in prof.events():
        if e.device_type.name != "CUDA":
            continue
        n, t = rows.get(e.name, (0, 0.0))
        rows[e.name] = (n + 1, t + e.device_time_total if hasattr(e, "device_time_total")
                        else t + e.cuda_time_total)
    total = sum(t for _, t in rows.values())
    with open(path + ".tmp", "w") as f:
        f.write("# torch.profiler, %d steps: per step ms, calls, share, kernel\n" % steps)
        f.write("# total %.3f ms per step\n" % (total / 1e3 / steps))
        for name, (n, t) in sorted(rows.items(), key=lambda kv: -kv[1][1]):
            f.write("%9.3f %5d %5.1f%% %s\n" % (t / 1e3 / steps, n // steps, 100 * t / total, name))
    os.replace(path + ".tmp", path)


def release(device):
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
    if hasattr(torch, "_dynamo"):
        torch._dynamo.reset()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--modes", default="fp32", help="comma-separated subset of " + ",".join(MODES))
    ap.add_argument("--profile", metavar="PATH",
                    help="CUDA: also write the GPU kernels of 3 steps of each mode to PATH.<case>.<mode>.txt")
    ap.add_argument("--case", action="append", required=True,
                    help="arch:res:batch:width, e.g. resnet9:64:32:1.0")
    a = ap.parse_args()
    modes = [m for m in a.modes.split(",") if m]
    for m in modes:
        if m not in MODES:
            ap.error("unknown mode %r (have %s)" % (m, ", ".join(MODES)))
    torch.set_num_threads(a.threads)
    signal.signal(signal.SIGTERM, on_sigterm)
    gpu = torch.cuda.get_device_name() if a.device == "cuda" and torch.cuda.is_available() else None
    for c in a.case:
        arch, res, batch, width = c.split(":")
        for mode in modes:
            r = {"name": "train_step", "impl": "torch", "case": c, "mode": mode,
                 "key": c + "/" + mode, "arch": arch, "res": int(res), "batch": int(batch),
                 "width": float(width), "device": a.device, "threads": a.threads,
                 "torch_version": torch.__version__, "gpu": gpu}
            why = skip_reason(mode, a.device)
            if why:
                r["skipped"] = why
            else:
                PROGRESS.update(row=r, step=None, t0=time.perf_counter())
                try:
                    prof = "%s.%s.%s.txt" % (a.profile, c.replace(":", "_"), mode) if a.profile and gpu else None
                    r.update(bench(arch, int(res), int(batch), float(width), a.iters, a.warmup,
                                   a.device, mode, prof))
                except Exception as e:  # one failing mode (OOM, compiler error) is a result too
                    # whole message: torch.compile's wrappers put the cause after line 1
                    r["error"] = "%s: %s" % (type(e).__name__, str(e)[:2000])
                    traceback.print_exc()
                PROGRESS["row"] = None
                release(a.device)
            print(json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
