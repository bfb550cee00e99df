#!/usr/bin/env python3
"""PyTorch baseline for bench_ops: the same ops, shapes and timing method, as JSON lines.

bench_ops runs this once per invocation (``--spec FILE`` lists exactly the cases it
measures) and matches lines by ``name`` + ``shape``. Standalone, it builds the same
ResNet9 table itself:

    /usr/bin/python3 benchmarks/torch_ops.py --device cpu --threads 2 --batch 32
    python3 benchmarks/torch_ops.py --device cuda --batch 512          # GPU box

Timing: ``warmup`` untimed calls, then the median of ``iters`` timed calls
(time.perf_counter; on CUDA torch.cuda.synchronize() before each clock read).
Defaults match the engine's numerics: no TF32, deterministic cuDNN (with
cudnn.benchmark on, so the fastest deterministic algorithm is picked).
"""
import argparse
import json
import statistics
import sys
import time

CONV_SHAPES = [  # (C, K, H) of each distinct ResNet9 conv3x3 at 64 px, stride 1, pad 1
    (3, 64, 64),     # stem
    (64, 128, 64),   # layer1 ConvBlock (before its max-pool)
    (128, 128, 32),  # layer1 BasicBlock(128)
    (128, 256, 32),  # layer2 ConvBlock
    (256, 512, 16),  # layer3 ConvBlock
    (512, 512, 8),   # layer3 BasicBlock(512)
]
BN_SHAPES = [(64, 64), (128, 32), (256, 16), (512, 8)]  # (C, H): every BN in ResNet9


def default_cases(batch):
    """Mirror of make_cases() in bench_ops.cpp (used only when no --spec is given)."""
    cases = []
    for c, k, h in CONV_SHAPES:
        shape = f"{batch}x{c}x{h}x{h},{k}x{c}x3x3,1,1"
        for op in ("conv_fwd", "conv_bwd_data", "conv_bwd_filter"):
            cases.append(dict(name=op, shape=shape, N=batch, C=c, H=h, W=h, K=k, R=3, S=3,
                              stride=1, pad=1))
    gemms = [(512, 1024, 4608, False, False),          # conv-as-GEMM, layer3 BasicBlock
             (batch * 64, 256, 512, False, True),      # prepool_fc forward (per pixel, 8x8)
             (batch * 64, 512, 256, False, False),     # prepool_fc backward-data
             (256, 512, batch * 64, True, False),      # prepool_fc weight grad
             (batch, 10, 256, False, True)]            # classification head
    for m, n, k, ta, tb in gemms:
        cases.append(dict(name="gemm", shape=f"{m}x{n}x{k},{'T' if ta else 'N'}{'T' if tb else 'N'}",
                          M=m, N=n, K=k, ta=ta, tb=tb))
    for c, h in BN_SHAPES:
        for op in ("bn_fwd", "bn_bwd"):
            cases.append(dict(name=op, shape=f"{batch}x{c}x{h}x{h}", N=batch, C=c, H=h, W=h))
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch default)")
    ap.add_argument("--batch", type=int, default=0, help="default 32 on cpu, 512 on cuda")
    ap.add_argument("--warmup", type=int, default=-1)
    ap.add_argument("--iters", type=int, default=0)
    ap.add_argument("--spec", help="JSON list of cases written by bench_ops")
    ap.add_argument("--filter", default="", help="substring of 'name shape'")
    ap.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                    help="cpu: process CPU time (for --threads 1 on a busy machine)")
    ap.add_argument("--tf32", action="store_true", help="allow TF32 on CUDA (torch's conv default)")
    ap.add_argument("--nondeterministic", action="store_true", help="let cuDNN pick atomics algos")
    args = ap.parse_args()

    try:
        import torch
    except Exception as e:  # noqa: BLE001 - report any import failure as one JSON line
        print(json.dumps({"error": f"cannot import torch: {e}"}), flush=True)
        return 2
    cuda = args.device == "cuda"
    if cuda and not torch.cuda.is_available():
        print(json.dumps({"error": "torch has no CUDA device (torch.cuda.is_available() is False)"}),
              flush=True)
        return 2
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.deterministic = not args.nondeterministic
    dev = torch.device(args.device)
    batch = args.batch or (512 if cuda else 32)
    warmup = args.warmup if args.warmup >= 0 else (3 if cuda else 2)
    iters = args.iters or (20 if cuda else 5)
    if args.spec:
        with open(args.spec) as f:
            cases = json.load(f)
    else:
        cases = default_cases(batch)
    threads = torch.get_num_threads()
    device_name = torch.cuda.get_device_name() if cuda else "cpu"

    def sync():
        if cuda:
            torch.cuda.synchronize()

    clock = time.process_time if args.clock == "cpu" and not cuda else time.perf_counter

    def timed(fn):
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(iters):
            sync()
            t0 = clock()
            fn()
            sync()
            times.append((clock() - t0) * 1e3)
        return statistics.median(times)

    gen = torch.Generator(device="cpu").manual_seed(0)

    def rnd(*shape):
        return (torch.rand(*shape, generator=gen) * 2 - 1).to(dev)

    failures = 0
    with torch.no_grad():
        for c in cases:
            name, shape = c["name"], c["shape"]
            if args.filter and args.filter not in f"{name} {shape}":
                continue
            rec = {"name": name, "shape": shape, "device": args.device, "dtype": "f32",
                   "impl": f"torch {torch.__version__}", "threads": threads,
                   "gpu": device_name if cuda else None}
            try:
                if cuda:
                    torch.cuda.empty_cache()
                    torch.cuda.reset_peak_memory_stats()
                flops = None
                nbytes = None
                if name.startswith("conv"):
                    n, ci, h, w, k, r, s = (c[key] for key in ("N", "C", "H", "W", "K", "R", "S"))
                    st, pd = c["stride"], c["pad"]
                    p = (h + 2 * pd - r) // st + 1
                    q = (w + 2 * pd - s) // st + 1
                    flops = 2.0 * n * k * p * q * ci * r * s
                    x, wt, dy = rnd(n, ci, h, w), rnd(k, ci, r, s), rnd(n, k, p, q)
                    if name == "conv_fwd":
                        fn = lambda: torch.nn.functional.conv2d(x, wt, None, st, pd)  # noqa: E731
                    else:
                        mask = [True, False, False] if name == "conv_bwd_data" else [False, True, False]
                        fn = lambda: torch.ops.aten.convolution_backward(  # noqa: E731
                            dy, x, wt, None, [st, st], [pd, pd], [1, 1], False, [0, 0], 1, mask)
                    rec.update(batch=n, res=64)
                elif name == "gemm":
                    m, nn, k, ta, tb = c["M"], c["N"], c["K"], c["ta"], c["tb"]
                    a = rnd(k, m).t() if ta else rnd(m, k)
                    b = rnd(nn, k).t() if tb else rnd(k, nn)
                    flops = 2.0 * m * nn * k
                    fn = lambda: torch.mm(a, b)  # noqa: E731
                    rec.update(batch=None, res=None)
                elif name in ("bn_fwd", "bn_bwd"):
                    n, ci, h, w = c["N"], c["C"], c["H"], c["W"]
                    x, dy = rnd(n, ci, h, w), rnd(n, ci, h, w)
                    g, b = torch.ones(ci, device=dev), torch.zeros(ci, device=dev)
                    rm, rv = torch.zeros(ci, device=dev), torch.ones(ci, device=dev)
                    _, sm, si = torch.ops.aten.native_batch_norm(x, g, b, rm, rv, True, 0.1, 1e-5)
                    numel = n * ci * h * w
                    if name == "bn_fwd":
                        nbytes = 2.0 * numel * 4
                        fn = lambda: torch.ops.aten.native_batch_norm(x, g, b, rm, rv, True, 0.1, 1e-5)  # noqa: E731
                    else:
                        nbytes = 3.0 * numel * 4
                        fn = lambda: torch.ops.aten.native_batch_norm_backward(  # noqa: E731
                            dy, x, g, rm, rv, sm, si, True, 1e-5, [True, True, True])
                    rec.update(batch=n, res=64)
                else:
                    raise ValueError(f"unknown op {name}")
                ms = timed(fn)
                rec["ms"] = ms
                rec["gflops"] = flops / ms / 1e6 if flops else None
                rec["gbps"] = nbytes / ms / 1e6 if nbytes else None
                rec["img_per_s"] = rec["batch"] / ms * 1e3 if rec.get("batch") else None
                rec["peak_mem_mb"] = torch.cuda.max_memory_allocated() / 2**20 if cuda else None
            except Exception as e:  # noqa: BLE001 - one failing case must not stop the rest
                rec["error"] = f"{type(e).__name__}: {e}"
                failures += 1
            print(json.dumps(rec), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
