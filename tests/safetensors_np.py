"""safetensors_np: a safetensors file read into NumPy arrays, for the Python
cross-checks (torch_check.py, hf_check.py). Written here rather than taken
from the `safetensors` package, which Debian 12 does not ship; the format is
an 8-byte little-endian header length, a JSON header, then the raw tensors."""
import json
import struct

import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2", "I8": "i1", "U8": "u1"}


def read_safetensors(path):
    """(tensors by name as NumPy arrays of the stored dtype, metadata dict)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", None) or {}
    data = memoryview(blob)[8 + n:]
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        arr = np.frombuffer(data[begin:end], dtype=np.dtype(DTYPES[e["dtype"]]))
        tensors[name] = arr.reshape(e["shape"]).copy()
    return tensors, meta
