#!/usr/bin/env python3
"""torch_train.py: the PyTorch peer of `sharebench bench`.

Trains the same GPT-style model as the sharebench engine (pre-LN, learned
positions, tied embeddings, GELU tanh, feed-forward 4x, AdamW with decay on
matrices, gradient clipping at 1) on random tokens, on the CPU with the given
threads, written as users write it today: attention through
F.scaled_dot_product_attention(is_causal=True) and AdamW's fused kernel where
the installed PyTorch has them (2.x); on older versions (Debian's 1.13) the
causal attention written out and AdamW's multi-tensor (foreach) form. With
--compile the model runs through torch.compile (its compilation in the
warm-up steps, outside the timing). Sharing `all` reuses one block object at
every depth, as ALBERT does in PyTorch.

Prints one JSON object: {"step_ms": [...], "median_ms": m, "torch": version,
"attention": "sdpa"|"manual", "optimizer": "fused"|"foreach"|"plain",
"compiled": bool}.

usage: torch_train.py --width C --layers N --heads H --length T --batch B
                      --vocab V --threads K --steps S --sharing none|all [--compile]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SDPA = hasattr(F, "scaled_dot_product_attention")


class Block(nn.Module):
    def __init__(self, c, h):
        super().__init__()
        self.h = h
        self.qkv = nn.Linear(c, 3 * c)
        self.o = nn.Linear(c, c)
        self.fc = nn.Linear(c, 4 * c)
        self.proj = nn.Linear(4 * c, c)

    def forward(self, x, ln1, ln2):
        b, t, c = x.shape
        q, k, v = self.qkv(ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.h, c // self.h).transpose(1, 2) for z in (q, k, v))
        if SDPA:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // self.h))
            mask = torch.ones(t, t, dtype=torch.bool).tril()
            y = att.masked_fill(~mask, float("-inf")).softmax(dim=-1) @ v
        x = x + self.o(y.transpose(1, 2).reshape(b, t, c))
        return x + self.proj(F.gelu(self.fc(ln2(x)), approximate="tanh"))


class Model(nn.Module):
    def __init__(self, a):
        super().__init__()
        c = a.width
        self.wte = nn.Embedding(a.vocab, c)
        self.wpe = nn.Embedding(a.length, c)
        shared = Block(c, a.heads) if a.sharing == "all" else None
        self.blocks = nn.ModuleList([shared or Block(c, a.heads) for _ in range(a.layers)])
        self.ln1 = nn.ModuleList([nn.LayerNorm(c) for _ in range(a.layers)])
        self.ln2 = nn.ModuleList([nn.LayerNorm(c) for _ in range(a.layers)])
        self.lnf = nn.LayerNorm(c)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk, l1, l2 in zip(self.blocks, self.ln1, self.ln2):
            x = blk(x, l1, l2)
        logits = self.lnf(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def optimizer(m):
    """AdamW as the engine runs it (decay on matrices only), in the fastest form this PyTorch has."""
    ps = list(m.parameters())   # a shared block's tensors once
    groups = [{"params": [p for p in ps if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for p in ps if p.dim() < 2], "weight_decay": 0.0}]
    for kind, kw in (("fused", {"fused": True}), ("foreach", {"foreach": True}), ("plain", {})):
        try:
            return torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.95), **kw), kind
        except (TypeError, RuntimeError, ValueError):
            continue   # this version or device has no such form


def main():
    p = argparse.ArgumentParser()
    for k, d in (("width", 128), ("layers", 4), ("heads", 4), ("length", 64), ("batch", 32), ("vocab", 256),
                 ("threads", 1), ("steps", 10)):
        p.add_argument("--" + k, type=int, default=d)
    p.add_argument("--sharing", default="none", choices=("none", "all"))
    p.add_argument("--compile", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    m = Model(a)
    opt, kind = optimizer(m)
    fwd = torch.compile(m) if a.compile else m
    idx = torch.randint(0, a.vocab, (a.batch, a.length))
    tgt = torch.randint(0, a.vocab, (a.batch, a.length))
    times = []
    for s in range(a.steps + 2):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = fwd(idx, tgt)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        if s >= 2:          # two warm-up steps (and compilation)
            times.append(1e3 * (time.perf_counter() - t))
    times.sort()
    n = len(times)
    med = times[n // 2] if n % 2 else 0.5 * (times[n // 2 - 1] + times[n // 2])
    print(json.dumps({"step_ms": times, "median_ms": med, "torch": torch.__version__,
                      "attention": "sdpa" if SDPA else "manual", "optimizer": kind, "compiled": a.compile}))


if __name__ == "__main__":
    main()
