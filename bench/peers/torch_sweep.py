#!/usr/bin/env python3
"""torch_sweep.py: the PyTorch peer of bench/sweep-rate.sh.

A sweep loop as users write it in PyTorch: CELLS training runs of the model
of torch_train.py (the engine's GPT-style model; sharing none and all in
turn), JOBS worker processes of one thread each, each cell a fresh model and
AdamW trained STEPS steps on random tokens of VOCAB symbols and LENGTH
positions, then one evaluation forward pass over EVAL sequences without
gradients. What the engine's cells do besides (validation, test metrics, the
inference timing, storing the run) this loop does not do.

Prints one JSON object: {"cells": n, "seconds": wall, "cells_per_hour": r,
"torch": version, "attention": ..., "optimizer": ...}.

usage: torch_sweep.py --cells N --jobs J --width C --layers N --heads H
                      --length T --batch B --vocab V --steps S [--eval E]
"""
import argparse
import json
import multiprocessing as mp
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch_train  # noqa: E402  (the model and optimizer the step peer times)


def cell(job):
    a, i = job
    torch.set_num_threads(1)
    torch.manual_seed(i)
    a = argparse.Namespace(**vars(a), sharing="none" if i % 2 == 0 else "all")
    m = torch_train.Model(a)
    opt, kind = torch_train.optimizer(m)
    for _ in range(a.steps):
        idx = torch.randint(0, a.vocab, (a.batch, a.length))
        opt.zero_grad(set_to_none=True)
        loss = m(idx, torch.roll(idx, -1, 1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
    with torch.no_grad():
        for k in range(0, a.eval, a.batch):
            idx = torch.randint(0, a.vocab, (min(a.batch, a.eval - k), a.length))
            m(idx, torch.roll(idx, -1, 1))
    return kind


def main():
    p = argparse.ArgumentParser()
    for k, d in (("cells", 32), ("jobs", 16), ("width", 128), ("layers", 4), ("heads", 4), ("length", 64), ("batch", 32),
                 ("vocab", 53), ("steps", 100), ("eval", 256)):
        p.add_argument("--" + k, type=int, default=d)
    a = p.parse_args()
    jobs = [(argparse.Namespace(**{k: v for k, v in vars(a).items() if k not in ("cells", "jobs")}), i) for i in range(a.cells)]
    t = time.perf_counter()
    with mp.get_context("fork").Pool(a.jobs) as pool:
        kinds = pool.map(cell, jobs, chunksize=1)
    wall = time.perf_counter() - t
    print(json.dumps({"cells": a.cells, "seconds": wall, "cells_per_hour": 3600 * a.cells / wall, "torch": torch.__version__,
                      "attention": "sdpa" if torch_train.SDPA else "manual", "optimizer": kinds[0]}))


if __name__ == "__main__":
    main()
