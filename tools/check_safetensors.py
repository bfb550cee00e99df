#!/usr/bin/env python3
"""Open a safetensors file the way Python users will and check its contents.

Uses safetensors.torch.load_file when the package is installed; otherwise an independent
reader (struct + json + numpy) that follows the format specification, so the check never
needs PyTorch. --expect NAME=SHAPE:SUM checks a tensor's shape (e.g. 2x3) and element sum.
"""
import argparse
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64,
          "I32": np.int32, "U8": np.uint8}


def load_numpy(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, en = e["data_offsets"]
        arr = np.frombuffer(data[b:en], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = arr
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("path")
    ap.add_argument("--expect", action="append", default=[])
    a = ap.parse_args()
    try:
        from safetensors.torch import load_file  # type: ignore
        tensors = {k: v.numpy() for k, v in load_file(a.path).items()}
        how = "safetensors.torch.load_file"
    except ImportError:
        tensors = load_numpy(a.path)
        how = "numpy reader"
    ok = True
    for spec in a.expect:
        name, rest = spec.split("=")
        shape_s, total = rest.split(":")
        shape = tuple(int(d) for d in shape_s.split("x"))
        t = tensors.get(name)
        if t is None or tuple(t.shape) != shape or abs(float(t.sum()) - float(total)) > 1e-4:
            print(f"check_safetensors: {name}: got {None if t is None else (t.shape, t.sum())}, "
                  f"expected {shape} sum {total}", file=sys.stderr)
            ok = False
    print(f"check_safetensors: {a.path}: {len(tensors)} tensors via {how}: {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
