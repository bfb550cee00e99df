#!/usr/bin/env python3
"""Markdown summary of a gpu_check.sh run (or of any bench_train JSON lines): training
img/s, TFLOP/s, % of the fp16 dense peak and peak memory, ours vs PyTorch eager vs
torch.compile, and whether each goal of the GPU performance issue is met. Also lists the
step exit codes (summary.txt), the compute-sanitizer verdicts (sanitizer_*.log) and the
kernels that take the most GPU time (nsys_*cuda_gpu_kern_sum*.csv or ncu_step.csv).
Python standard library only.

    python3 benchmarks/make_table.py OUTDIR              # writes OUTDIR/summary.md
    python3 benchmarks/make_table.py --jsonl a.jsonl b.jsonl -o summary.md
"""
import argparse
import csv
import glob
import gzip
import json
import os
import re
import sys

# The goals. Ratios are img/s of ours (best precision) over the PyTorch mode.
GOALS = [
    # (arch, res, batch, torch mode, minimum ratio)
    ("resnet9", 64, 512, "amp", 1.5),
    ("resnet9", 64, 512, "compile", 1.0),
    ("resnet50", 128, 96, "amp", 1.3),
]
PEAK_GOALS = [("resnet9", 64, 512, 40.0)]  # % of the fp16 dense peak
OURS_LABEL = {"amp_graph": "AMP fp16 + CUDA graph", "amp": "AMP fp16", "fp32_graph": "fp32 + CUDA graph",
              "fp32": "fp32"}
# bench_train names non-default cuDNN settings in the mode: amp_heuristic_det etc.
SUFFIX_LABEL = {"heuristic": "cuDNN heuristic algorithms", "det": "deterministic algorithms",
                "cudnn1x1": "1x1 filter gradients by cuDNN (SS_CONV_1X1_GEMM=0)",
                "bnrows": "BN applies by channel-group rows (SS_BN_APPLY=rows)",
                "bnreduce": "BN sums by channel-group rows (SS_BN_REDUCE=rows8)",
                "heap": "device heap allocator (SS_ALLOC=heap)",
                "padc": "RGB layer on 8 zero-padded channels (SS_CONV_PAD_C=1)",
                "onepass": "batch-norm statistics in one pass (SS_BN_STATS=onepass)",
                "dgradacc": "conv backward-data adds into the pending gradient (SS_CONV_DGRAD_ACC=1)",
                "slabcopy": "NCHW <-> NHWC copies as shared-memory slab transposes (SS_COPY_SLAB=1)",
                "poolargmax": "max pool backward from saved window positions (SS_POOL_ARGMAX=1)",
                "all": "every opt-in switch on trial",
                "bncudnn": "cuDNN's semi-persistent NHWC batch norm + ReLU (SS_BN_CUDNN=1)"}


def split_mode(mode):
    """("amp_graph", ["all"]) for "amp_graph_all": the longest known base and the suffixes
    (bench_train's settings and gpu_check's trial labels); (None, []) for an unknown mode."""
    for base in sorted(OURS_LABEL, key=len, reverse=True):
        if mode == base or mode.startswith(base + "_"):
            return base, [x for x in mode[len(base):].split("_") if x]
    return None, []


def ours_label(mode):
    base, suffixes = split_mode(mode)
    if base is None:
        return mode
    extra = [SUFFIX_LABEL.get(x, x) + (" (parity failed)" if x in FAILED_TRIALS else "")
             for x in suffixes]
    return OURS_LABEL[base] + "".join(", " + e for e in extra)


def ours_order(mode):
    bases = list(OURS_LABEL)
    i = next((k for k, b in enumerate(bases) if mode == b or mode.startswith(b + "_")), len(bases))
    return (i, mode)


TORCH_LABEL = {"fp32": "PyTorch eager fp32", "amp": "PyTorch eager AMP fp16 channels_last",
               "compile": "torch.compile AMP fp16 channels_last"}


def read_jsonl(paths):
    rows = []
    for p in paths:
        try:
            with open(p) as f:
                for line in f:
                    line = line.strip()
                    if not line.startswith("{"):
                        continue
                    try:
                        rows.append(json.loads(line))
                    except ValueError:
                        pass
        except OSError:
            pass
    return rows


def case_of(r):
    if r.get("case"):
        return r["case"]
    return "%s:%s:%s:%g" % (r.get("arch"), r.get("res"), r.get("batch"), float(r.get("width", 1)))


NUM_FIELDS = ("img_per_s", "ms", "tflops", "pct_peak", "peak_mem_mb", "device_peak_mb",
              "reserved_peak_mb", "train_gflop_per_img", "peak_tflops")


def collect(rows):
    """{case: {"ours": {mode: row}, "torch": {mode: row}, "gflop":, "peak":}} (last line wins)."""
    cases = {}
    for r in rows:
        # one malformed row (foreign impl, non-string mode, non-numeric field) is dropped,
        # never the whole summary
        if (not isinstance(r, dict) or r.get("name") != "train_step"
                or r.get("impl") not in ("ours", "torch")
                or not isinstance(r.get("mode", "fp32"), str)):
            continue
        for f in NUM_FIELDS:
            if f in r and (isinstance(r[f], bool) or not isinstance(r[f], (int, float))):
                r[f] = None
        try:
            key = case_of(r)
        except (TypeError, ValueError):
            continue
        c = cases.setdefault(key, {"ours": {}, "torch": {}, "gflop": None, "peak": None})
        c[r["impl"]][r.get("mode", "fp32")] = r
        if r.get("train_gflop_per_img"):
            c["gflop"] = r["train_gflop_per_img"]
        if r.get("peak_tflops"):
            c["peak"] = r["peak_tflops"]
    # Lines from torch_train.py alone (torch.compile step) carry no FLOP count: use the case's.
    for c in cases.values():
        for r in list(c["ours"].values()) + list(c["torch"].values()):
            if r.get("img_per_s") and r.get("tflops") is None and c["gflop"]:
                r["tflops"] = r["img_per_s"] * c["gflop"] / 1e3
            if r.get("tflops") is not None and r.get("pct_peak") is None and c["peak"]:
                r["pct_peak"] = 100.0 * r["tflops"] / c["peak"]
    return cases


def fmt(v, spec="%.1f"):
    return "–" if v is None else spec % v


FAILED_TRIALS = set()  # opt-in switches whose parity failed in this run: never "ours best"
# a trial's parity step exit code, or "all": implied by every switch passing together
PARITY_PASSED = ("0", "all")


def best_ours(c):
    ok = [r for m, r in c["ours"].items() if r.get("img_per_s") and not set(split_mode(m)[1]) & FAILED_TRIALS]
    return max(ok, key=lambda r: r["img_per_s"]) if ok else None


def training_tables(cases):
    out = []
    for key in sorted(cases, key=lambda k: (not k.startswith("resnet9:"), k)):  # ResNet9 first
        c = cases[key]
        gf = c["gflop"]
        out.append("### %s (arch:res:batch:width)\n" % key)
        out.append("Training FLOPs: %s GFLOP/image (3 × 2 × conv/linear multiply-adds, from the "
                   "model's layer shapes); fp16 dense peak: %s TFLOP/s.\n"
                   % (fmt(gf, "%.4g"), fmt(c["peak"], "%g")))
        out.append("| implementation | img/s | step ms | TFLOP/s | % peak | peak MB (tensors) "
                   "| peak MB (device) | ours best ÷ this |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        best = best_ours(c)
        rows = [("ours " + ours_label(m), c["ours"][m], "device_peak_mb")
                for m in sorted(c["ours"], key=ours_order)]
        rows += [(TORCH_LABEL.get(m, m), c["torch"][m], "reserved_peak_mb")
                 for m in ("fp32", "amp", "compile") if m in c["torch"]]
        for label, r, dev_field in rows:
            if not r.get("img_per_s"):
                why = r.get("skipped") or r.get("error") or "no result"
                out.append("| %s | %s | | | | | | |" % (label, ("skipped: " if r.get("skipped") else
                                                             "error: ") + str(why)[:120]))
                continue
            ratio = best["img_per_s"] / r["img_per_s"] if best else None
            out.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
                label, fmt(r["img_per_s"], "%.0f"), fmt(r.get("ms"), "%.2f"),
                fmt(r.get("tflops"), "%.3g"), fmt(r.get("pct_peak")),
                fmt(r.get("peak_mem_mb"), "%.0f"), fmt(r.get(dev_field), "%.0f"),
                fmt(ratio, "%.2f×")))
        out.append("")
    return out


def goal_rows(cases):
    def find(arch, res, batch):
        for k, c in cases.items():
            if k.split(":")[:3] == [arch, str(res), str(batch)]:
                return c
        return None

    rows = []
    for arch, res, batch, mode, need in GOALS:
        c = find(arch, res, batch)
        best = best_ours(c) if c else None
        t = c["torch"].get(mode) if c else None
        ratio = best["img_per_s"] / t["img_per_s"] if best and t and t.get("img_per_s") else None
        rows.append(("%s @%d px b%d: ours ÷ %s" % (arch, res, batch, TORCH_LABEL[mode]),
                     "≥ %.2f×" % need, fmt(ratio, "%.2f×") + (" (ours %s)" % best["mode"] if best else ""),
                     None if ratio is None else ratio >= need))
    for arch, res, batch, need in PEAK_GOALS:
        c = find(arch, res, batch)
        best = best_ours(c) if c else None
        pct = best.get("pct_peak") if best else None
        rows.append(("%s @%d px b%d: ours %% of fp16 dense peak" % (arch, res, batch),
                     "≥ %g%%" % need,
                     "%s%% (%s TFLOP/s)" % (fmt(pct), fmt(best.get("tflops") if best else None)),
                     None if pct is None else pct >= need))
    for arch, res, batch, _, _ in GOALS[:1] + GOALS[2:]:
        c = find(arch, res, batch)
        best = best_ours(c) if c else None
        t = c["torch"].get("amp") if c else None
        ours_mb = best.get("device_peak_mb") if best else None
        torch_mb = t.get("reserved_peak_mb") if t else None
        rows.append(("%s @%d px b%d: peak memory, ours device ≤ PyTorch AMP reserved" % (arch, res, batch),
                     "≤ 1.00×",
                     "%s / %s MB (tensors %s / %s MB)" % (
                         fmt(ours_mb, "%.0f"), fmt(torch_mb, "%.0f"),
                         fmt(best.get("peak_mem_mb") if best else None, "%.0f"),
                         fmt(t.get("peak_mem_mb") if t else None, "%.0f")),
                     None if ours_mb is None or torch_mb is None else ours_mb <= torch_mb))
    out = ["| goal | target | measured | met |", "|---|---|---|---|"]
    for name, target, got, met in rows:
        out.append("| %s | %s | %s | %s |" % (name, target, got,
                                              "n/a" if met is None else ("**yes**" if met else "**no**")))
    return out


def trial_parity(outdir):
    """{switch label: parity step exit code} from summary.txt (gpu_check final's trials)."""
    parity = {}
    p = os.path.join(outdir, "summary.txt")
    if os.path.exists(p):
        with open(p) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[0].startswith("parity_"):
                    parity[parts[0][len("parity_"):]] = parts[1]
    return parity


def trial_table(outdir, cases):
    """The opt-in switches on trial (gpu_check final): parity exit code, and each model's AMP
    step and device memory with the switch against the default AMP step of the same run."""
    parity = trial_parity(outdir)
    labels = sorted(set(parity) | {m[len("amp_"):] for c in cases.values() for m in c["ours"]
                                   if m.startswith("amp_") and m[len("amp_"):] in SUFFIX_LABEL})
    if not labels:
        return []
    keys = sorted(cases, key=lambda k: (not k.startswith("resnet9:"), k))
    head = "| switch | parity |" + "".join(" %s ms | %s device MB |" % (k.split(":")[0], k.split(":")[0])
                                         for k in keys) + " verdict |"
    out = [head, "|---|---|" + "---:|---:|" * len(keys) + "---|"]
    for label in labels:
        rc = parity.get(label)
        row = "| %s | %s |" % (SUFFIX_LABEL.get(label, label),
                               "–" if rc is None else "skipped (budget)" if rc == "skip" else
                               "pass (with all)" if rc == "all" else
                               "pass" if rc == "0" else "**fail (%s)**" % rc)
        ratios = {}
        for k in keys:
            base, r = cases[k]["ours"].get("amp", {}), cases[k]["ours"].get("amp_" + label, {})
            for field, spec in (("ms", "%.2f"), ("device_peak_mb", "%.0f")):
                a, b = base.get(field), r.get(field)
                if a and b is not None:
                    ratios[(k, field)] = b / a
                row += " %s |" % ("–" if b is None else (spec % b) + (
                    " (%.2f×)" % (b / a) if a else ""))
        out.append(row + " %s |" % trial_verdict(rc, ratios, len(keys)))
    return ["Each switch against the default AMP step of the same run (× < 1: faster or "
            "smaller). Verdict: *adopt* when parity passed and no model got more than 2% "
            "slower or bigger while one got at least 2% faster or smaller (step times move "
            "~1-2% between runs).", ""] + out


def trial_verdict(parity_rc, ratios, n_models):
    if parity_rc == "skip":
        return "incomplete"
    if parity_rc is not None and parity_rc not in PARITY_PASSED:
        return "reject (parity)"
    if parity_rc is None or len(ratios) < 2 * n_models:
        return "incomplete"
    if any(v > 1.02 for v in ratios.values()):
        return "reject (slower or bigger)"
    return "**adopt**" if any(v < 0.98 for v in ratios.values()) else "neutral"


def step_table(outdir):
    p = os.path.join(outdir, "summary.txt")
    if not os.path.exists(p):
        return []
    out = ["| step | exit code | seconds |", "|---|---:|---:|"]
    with open(p) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and not line.startswith("#"):
                rc = parts[1]
                note = {"0": "0", "124": "124 (timed out)", "137": "137 (killed after timeout)",
                        "skip": "skipped (budget)"}.get(rc, rc)
                out.append("| %s | %s | %s |" % (parts[0], note, parts[2]))
    return out


def sanitizer_lines(outdir):
    out = []
    for p in sorted(glob.glob(os.path.join(outdir, "sanitizer_*.log"))):
        tool = os.path.basename(p)[len("sanitizer_"):-len(".log")]
        with open(p, errors="replace") as f:
            text = f.read()
        # memcheck and (recent) racecheck end with "ERROR SUMMARY: N errors"; older racecheck
        # with "RACECHECK SUMMARY: N hazards displayed".
        summaries = (re.findall(r"ERROR SUMMARY: (\d+) error", text)
                     or re.findall(r"RACECHECK SUMMARY: (\d+) hazard", text))
        runs = re.findall(r"^## (.*)$", text, re.M)  # gpu_check.sh: "## <test> rc=N" per run
        if not summaries:
            first = text.strip().splitlines()[:1]
            out.append("- %s: no summary (%s)" % (tool, first[0][:160] if first else "empty log"))
            continue
        total = sum(int(s) for s in summaries)
        out.append("- %s: %d error(s)/hazard(s) over %d run(s)%s" % (
            tool, total, len(summaries), (" — " + "; ".join(runs)) if runs else ""))
    return out


def kernel_table(outdir, model="resnet9", top=15):
    """Top kernels by total GPU time, from nsys stats (csv) or ncu (csv, one profiled step)."""
    rows, source = [], None
    nsys = sorted(glob.glob(os.path.join(outdir, "nsys_%s*cuda_gpu_kern_sum*.csv" % model)))
    if nsys:
        source = "nsys, %s" % os.path.basename(nsys[0])
        with open(nsys[0], newline="") as f:
            for r in csv.DictReader(f):
                try:
                    rows.append((r["Name"], int(r["Instances"]), float(r["Total Time (ns)"]) / 1e6))
                except (KeyError, ValueError):
                    pass
    else:
        p = os.path.join(outdir, "ncu_step.csv" if model == "resnet9" else "ncu_step_%s.csv" % model)
        if not os.path.exists(p) and os.path.exists(p + ".gz"):  # committed results: gzipped
            p += ".gz"
        if os.path.exists(p):
            source = "ncu gpu__time_duration.sum, one training step (clock control off)"
            opener = gzip.open if p.endswith(".gz") else open
            with opener(p, "rt", newline="", errors="replace") as f:
                lines = [l for l in f if l.startswith('"')]
            agg = {}
            reader = csv.reader(lines)
            header = next(reader, None)
            if header and "Kernel Name" in header and "gpu__time_duration.sum" in header:
                ki, ti = header.index("Kernel Name"), header.index("gpu__time_duration.sum")
                unit_row = next(reader, None)
                unit = unit_row[ti].strip() if unit_row and len(unit_row) > ti else "nsecond"
                scale = {"nsecond": 1e-6, "ns": 1e-6, "usecond": 1e-3, "us": 1e-3,
                         "msecond": 1.0, "ms": 1.0, "second": 1e3, "s": 1e3}.get(unit, 1e-6)
                for r in reader:
                    try:
                        n, c = agg.get(r[ki], (0, 0.0))
                        agg[r[ki]] = (n + 1, c + float(r[ti].replace(",", "")) * scale)
                    except (IndexError, ValueError):
                        pass
            rows = [(k, n, ms) for k, (n, ms) in agg.items()]
    if not rows:
        return []
    total = sum(r[2] for r in rows) or 1.0
    rows.sort(key=lambda r: -r[2])
    out = ["Source: %s; total %.2f ms." % (source, total), "",
           "| kernel | calls | ms | % |", "|---|---:|---:|---:|"]
    for name, n, ms in rows[:top]:
        name = name.replace("|", "\\|")
        out.append("| `%s` | %d | %.3f | %.1f |" % (name[:110], n, ms, 100 * ms / total))
    return out


def gpu_name(outdir, cases):
    p = os.path.join(outdir, "gpu.txt") if outdir else None
    if p and os.path.exists(p):
        with open(p) as f:
            for line in f:
                if line.startswith("gpu_name:") and line.split(":", 1)[1].strip():
                    return line.split(":", 1)[1].strip()
    for c in cases.values():
        for r in list(c["ours"].values()) + list(c["torch"].values()):
            if r.get("gpu"):
                return r["gpu"]
    return "no GPU (CPU run)"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", nargs="?", help="gpu_check.sh OUTDIR (reads its *.jsonl and logs)")
    ap.add_argument("--jsonl", nargs="*", default=[], help="bench_train / torch_train.py output")
    ap.add_argument("-o", "--output", help="default: OUTDIR/summary.md, else stdout")
    a = ap.parse_args()
    if not a.outdir and not a.jsonl:
        ap.error("give OUTDIR or --jsonl files")
    paths = list(a.jsonl)
    if a.outdir:
        paths += sorted(glob.glob(os.path.join(a.outdir, "*.jsonl")))
    cases = collect(read_jsonl(paths))
    if a.outdir:
        FAILED_TRIALS.update(k for k, rc in trial_parity(a.outdir).items() if rc not in PARITY_PASSED)

    md = ["# GPU check summary — %s" % gpu_name(a.outdir, cases), ""]
    if a.outdir and os.path.exists(os.path.join(a.outdir, "summary.txt")):
        with open(os.path.join(a.outdir, "summary.txt")) as f:
            head = f.readline().strip().lstrip("# ")
        md += ["Run: %s" % head, ""]
    md += ["## Goals (GPU performance issue)", ""] + goal_rows(cases) + [""]
    md += ["Ratios use ours at its fastest precision. Device memory: ours = everything taken "
           "through cudaMalloc during the timed steps (tensors, allocator cache, cuDNN "
           "workspace); PyTorch = torch.cuda.max_memory_reserved. Tensors: our caching "
           "allocator's live peak vs torch.cuda.max_memory_allocated (which also holds "
           "PyTorch's cuDNN workspace).", ""]
    md += ["## Training step", ""] + (training_tables(cases) or ["no bench_train results", ""])
    switches = ""
    if a.outdir and os.path.exists(os.path.join(a.outdir, "profile_switches.txt")):
        with open(os.path.join(a.outdir, "profile_switches.txt")) as f:
            switches = f.read().strip()
    # ", with SS_X=... ...": the profiles and sanitizers ran with the switches on trial
    with_switches = ", with " + switches if switches and switches != "default" else ""
    for model, what in (("resnet9", "ResNet9 @64 px b512"), ("resnet50", "ResNet50 @128 px b96")):
        kt = kernel_table(a.outdir, model) if a.outdir else []
        if kt:
            md += ["## Where the GPU time goes (%s, ours AMP%s)" % (what, with_switches), ""]
            md += kt + [""]
    tt = trial_table(a.outdir, cases) if a.outdir else []
    if tt:
        md += ["## Opt-in switches on trial", ""] + tt + [""]
    sl = sanitizer_lines(a.outdir) if a.outdir else []
    if sl:
        md += ["## compute-sanitizer" + (" (%s)" % with_switches[2:] if with_switches else ""),
               ""] + sl + [""]
    st = step_table(a.outdir) if a.outdir else []
    if st:
        md += ["## Steps", ""] + st + [""]
    text = "\n".join(md) + "\n"
    dest = a.output or (os.path.join(a.outdir, "summary.md") if a.outdir else None)
    if dest:
        with open(dest + ".tmp", "w") as f:
            f.write(text)
        os.replace(dest + ".tmp", dest)
        print("wrote %s" % dest, file=sys.stderr)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
