#!/usr/bin/env python3
"""torch_check.py: an independent cross-check of the sharebench engine against PyTorch.

Usage: /usr/bin/python3 tests/torch_check.py path/to/torch_export

Runs the exporter (tests/torch_export.c) into a temporary directory; it writes,
for a list of configurations covering every sharing mode and architecture
switch, a sharebench checkpoint NAME.safetensors and what the engine computed
on one batch, NAME.grads.safetensors (batch, loss, probabilities, every
parameter gradient, the token-embedding gradient). For each configuration this
script rebuilds the model in PyTorch from the checkpoint alone -- the
"sharebench.config.*" metadata and the "sharebench.sharing.*" maps -- with its own forward written
from the definitions (not from the engine's code), in float64, and lets
autograd compute the gradients. A shared block is literally one Parameter used
at every depth mapped to it, so autograd (not the engine) sums the depths'
contributions. It also resolves the sharing specification itself and checks
the maps in the checkpoint, and checks the tensor names and shapes.

Factorised models (factor:R) are rebuilt with W = U Vt; for the distillation
configurations the loss is Hinton et al.'s, written with F.kl_div against the
teacher logits the exporter stored, and autograd differentiates it.

Comparisons: loss |a-b| <= 1e-4 |b|; every array ||a-b|| <= 1e-4 ||b|| + 1e-7.
Prints one line per configuration with its worst relative error, then
"torch_check: P passed, F failed". Exit status 1 on any mismatch, 0 otherwise;
"skipped: PyTorch not installed" (exit 0) when torch cannot be imported.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError:
    print("skipped: PyTorch not installed")
    sys.exit(0)

RTOL = 1e-4
ATOL = 1e-7
ZERO = 1e-9   # reference norms below this are zero up to rounding: reported by absolute error

# ----------------------------------------------------------------- safetensors

from safetensors_np import read_safetensors  # noqa: E402 (after the PyTorch check)


# --------------------------------------------------------------- sharing spec

def base_map(term, n):
    """Depth -> block for one base-map term (Takase & Kiyono; ALBERT)."""
    if term == "none":
        return list(range(n))
    if term == "all":
        return [0] * n
    name, _, arg = term.partition(":")
    if name == "map":
        return [int(x) for x in arg.split(",")]
    if name == "loop":   # P prelude, a core of K looped (n-P-C)/K times, C coda (Yang et al. 2023; Geiping et al. 2025)
        P, K, C = (int(x) for x in arg.split(","))
        return list(range(P)) + [P + j % K for j in range(n - P - C)] + [P + K + j for j in range(C)]
    k = int(arg)
    if name == "sequence":
        per = -(-n // k)
        return [i // per for i in range(n)]
    if name == "cycle":
        return [i % k for i in range(n)]
    if name == "cycle_rev":
        return [i % k for i in range(n - k)] + [n - 1 - i for i in range(n - k, n)]
    raise ValueError("unknown sharing term %r" % term)


def resolve(spec, n):
    """(attn map, ffn map, kv_share S, lowrank R, hyper D) of a sharing specification."""
    spec = spec or "none"
    if spec == "progressive" or spec.startswith("progressive:"):
        target = spec[len("progressive:"):] or "all"
        s = resolve(target, n)[2]
        return list(range(n)), list(range(n)), s, 0, 0
    base, untie, s, r, d, basis = None, 0, 1, 0, 0, 0
    for t in spec.split("+"):
        name, _, arg = t.partition(":")
        if name in ("v_share", "attn_reuse", "yoco", "mor", "mor_expert", "mor_kv_share", "act", "lckv"):
            continue         # values apart from keys: values_every(); attention maps: maps_every(); yoco_window()
        if name == "lowrank":
            r = int(arg)
        elif name == "hyper":
            d = int(arg)
        elif name == "basis":
            basis = int(arg)     # the rank itself: basis_rank()
        elif name == "kv_share":
            s = int(arg)
        elif name == "untie":
            untie = int(arg)
        else:
            base = t
    if base is None:
        base = "all" if (r or d or basis) else "none"   # a modifier building each depth's weights implies all
    if base == "attn":
        attn, ffn = [0] * n, list(range(n))
    elif base == "ffn":
        attn, ffn = list(range(n)), [0] * n
    else:
        attn = base_map(base, n)
        ffn = list(attn)
    if untie:
        for m in (attn, ffn):
            nxt = max(m) + 1
            for i in range(n - untie, n):
                m[i] = nxt
                nxt += 1
    return attn, ffn, s, r, d


def injections(spec, n):
    """Depths of a looped model (loop:P,K,C) that start a loop after the first: P + jK, 1 <= j < r.
    Yang et al.'s looped transformer (arXiv 2311.12424, their code's loop_func 'z=f(x+z)') adds the
    embedded input to the state before every pass; the first pass's state is zero, so its input is
    the embedding itself; here the prelude's output is the input the core sees."""
    terms = (spec or "").split("+")
    for t in terms:
        name, _, arg = t.partition(":")
        if name == "loop":
            P, K, C = (int(x) for x in arg.split(","))
            return P, [] if "mor" in terms or "mor_expert" in terms or "act" in terms else [P + j * K for j in range(1, (n - P - C) // K)]
    return None, []


def recursions(spec, n):
    """(K, r, kind) of loop:P,K,C+mor, Mixture-of-Recursions (Bae et al. 2025, arXiv 2507.10524), or of
    loop:P,K,C+act, the Universal Transformer's halting (Dehghani et al. 2019, arXiv 1807.03819): the core's r
    loops are recursions a token runs 1 to r of; (0, 0, None) without either."""
    terms = (spec or "").split("+")
    kind = "mor" if "mor" in terms else "mor_expert" if "mor_expert" in terms else "act" if "act" in terms else None
    for t in terms:
        name, _, arg = t.partition(":")
        if name == "loop" and kind:
            P, K, C = (int(x) for x in arg.split(","))
            return K, (n - P - C) // K, kind
    return 0, 0, None


def basis_rank(spec):
    """R of basis:R (Basis Sharing, Wang et al. 2024, arXiv 2410.03765; their models/model_utils.py: a Basis
    nn.Linear(in -> R) shared by a group of layers, each layer's Coefficient nn.Linear(R -> out)), or 0."""
    for t in (spec or "").split("+"):
        name, _, arg = t.partition(":")
        if name == "basis":
            return int(arg)
    return 0


def values_every(spec):
    """Sv of v_share:Sv: values computed at depths i with i % Sv == 0, keys at every depth; Sv = N is
    SVFormer (Zhou et al. 2024, arXiv 2410.17897: every layer attends with the first layer's values)."""
    for t in (spec or "").split("+"):
        name, _, arg = t.partition(":")
        if name == "v_share":
            return int(arg)
    return 1


def maps_every(spec):
    """Sa of attn_reuse:Sa: attention maps computed at depths i with i % Sa == 0; the Sa-1 depths after apply that
    map (the softmax probabilities, per head) to their own values and hold no queries or keys (Xiao et al. 2019,
    "Sharing Attention Weights for Fast Transformer", IJCAI, arXiv 1906.11024)."""
    for t in (spec or "").split("+"):
        name, _, arg = t.partition(":")
        if name == "attn_reuse":
            return int(arg)
    return 1


def yoco_window(spec):
    """W of yoco:W, or None. YOCO (Sun et al. 2024, arXiv 2405.05254; unilm/YOCO's yoco.py): a self-decoder of N//2
    layers with their own keys and values, attending over a sliding window of W keys (flash_attn window_size=(W-1, 0);
    W = 0 here: all before), then a cross-decoder whose layers all attend with one key/value pair computed once from the
    self-decoder's output -- here by the first cross-decoder layer's wk, wv from its own normalised input."""
    for t in (spec or "").split("+"):
        name, _, arg = t.partition(":")
        if name == "yoco":
            return int(arg)
    return None


def lckv_layers(spec, n):
    """(lo, top) of lckv:W, or None. Layer-Condensed KV Cache (Wu & Tu 2024, arXiv 2405.10637; whyNLP/LCKV): W warmup
    layers, W - W//2 at the bottom and W//2 at the top, keep their own keys and values (the authors' layer_types, e.g.
    "0_6_6_6_6_6_6_7" for W = 2 at 8 layers); layers lo..top-1 attend to layer top's, top to its own."""
    for t in (spec or "").split("+"):
        name, _, arg = t.partition(":")
        if name == "lckv":
            w = int(arg)
            return w - w // 2, n - 1 - w // 2
    return None


def canonical(m):
    """Relabel blocks in order of first use (-1 kept): the partition a map defines."""
    seen, out = {}, []
    for b in m:
        if b < 0:
            out.append(-1)
        else:
            seen.setdefault(b, len(seen))
            out.append(seen[b])
    return out


# ---------------------------------------------------------------------- model

class Config:
    INTS = ["vocab", "max_len", "width", "embed", "layers", "heads", "kv_heads", "ffn", "causal", "post_ln",
            "type_vocab", "embed_ln", "final_ln", "rel_buckets", "rel_max_dist", "layer_pos_bias", "layerscale",
            "tied", "pooler", "ln_shared"]

    def __init__(self, meta):
        get = lambda k: meta["sharebench.config." + k]
        for k in self.INTS:
            setattr(self, k, int(get(k)))
        self.pos = get("pos")
        self.grad_scale = get("grad_scale")
        self.ln_eps = float(get("ln_eps"))
        self.rope_base = float(get("rope_base"))
        self.sharing, self.sharing_attn, self.sharing_ffn = get("sharing"), get("sharing_attn"), get("sharing_ffn")
        # factor:R (keys newer than the format: absent means dense)
        self.factor = int(meta.get("sharebench.config.factor", "0"))
        named = {"all": ["wq", "wk", "wv", "wo", "w1", "w2"], "attn": ["wq", "wk", "wv", "wo"], "ffn": ["w1", "w2"]}
        self.factored = set()
        for t in meta.get("sharebench.config.factor_mats", "all").split(","):
            self.factored |= set(named.get(t, [t]))
        if not self.factor:
            self.factored = set()
        self.N, self.C, self.V, self.F, self.NH = self.layers, self.width, self.vocab, self.ffn, self.heads
        self.E = self.embed or self.width
        self.G = self.kv_heads or self.heads
        self.hd = self.C // self.NH
        self.Ckv = self.G * self.hd
        # maps as stored, and as resolved here from the specification
        self.attn = [int(x) for x in meta["sharebench.sharing.attn"].split(",")]
        self.ffn_map = [int(x) for x in meta["sharebench.sharing.ffn"].split(",")]
        self.kv = [int(x) for x in meta["sharebench.sharing.kv"].split(",")]
        attn, ffn, self.S, self.R, self.D = resolve(self.sharing, self.N)
        self.prelude, self.inject = injections(self.sharing, self.N)
        self.mor_K, self.mor_r, self.mor_kind = recursions(self.sharing, self.N)
        self.Sv = values_every(self.sharing)
        self.Sa = maps_every(self.sharing)
        self.basis = basis_rank(self.sharing)
        self.yoco = yoco_window(self.sharing)
        half = self.N // 2   # the depth each depth takes keys and values from: CLA's every S, or YOCO's halves
        self.kv_src = [(i if i < half else half) if self.yoco is not None else i - i % self.S for i in range(self.N)]
        self.mor_kv_share = "mor_kv_share" in (self.sharing or "").split("+")
        if self.mor_kv_share:   # MoR's recursive KV sharing: recursion 0's keys and values of every token, none masked
            self.kv_src = [self.prelude + (i - self.prelude) % self.mor_K
                           if self.prelude + self.mor_K <= i < self.prelude + self.mor_K * self.mor_r else s
                           for i, s in enumerate(self.kv_src)]
        self.lckv = lckv_layers(self.sharing, self.N)
        if self.lckv:
            lo, top = self.lckv
            self.kv_src = [top if lo <= i < top else i for i in range(self.N)]
        if self.basis:   # every matrix W_l = U_l Vt: the block holds Vt, each depth its U_l
            self.factor, self.factored = self.basis, {"wq", "wk", "wv", "wo", "w1", "w2"}
        if self.sharing_attn:
            attn = resolve(self.sharing_attn, self.N)[0]
        if self.sharing_ffn:
            ffn = resolve(self.sharing_ffn, self.N)[0]
        kv = [attn[i] if self.kv_src[i] == i else -1 for i in range(self.N)]
        self.map_errors = []
        for what, stored, mine in (("attn", self.attn, attn), ("ffn", self.ffn_map, ffn), ("kv", self.kv, kv)):
            if canonical(stored) != canonical(mine):
                self.map_errors.append("sharing.%s is %s, the specification gives %s" % (what, stored, mine))

    # matrices: (kind, name, out, in)
    def mats(self):
        C, F_, K = self.C, self.F, self.Ckv
        return [("attn", "wq", C, C), ("kv", "wk", K, C), ("kv", "wv", K, C), ("attn", "wo", C, C),
                ("ffn", "w1", F_, C), ("ffn", "w2", C, F_)]

    def block_of(self, kind, l):
        return {"attn": self.attn, "kv": self.kv, "ffn": self.ffn_map}[kind][l]

    def expected_tensors(self):
        """Name -> shape of every tensor the checkpoint must hold."""
        c, t = self, {}
        C, E, N, NH, NB = c.C, c.E, c.N, c.NH, c.rel_buckets
        t["embed.tok"] = (c.V, E)
        if c.pos == "learned":
            t["embed.pos"] = (c.max_len, E)
        if c.type_vocab:
            t["embed.type"] = (c.type_vocab, E)
        if c.embed_ln:
            t["embed.ln.w"] = t["embed.ln.b"] = (E,)
        if E != C:
            t["embed.proj.w"], t["embed.proj.b"] = (C, E), (C,)
        if c.pos == "relbias":
            t["pos.relbias"] = (NB, NH)
        bias = {"wq": "bq", "wk": "bk", "wv": "bv", "wo": "bo", "w1": "b1", "w2": "b2"}
        for kind, name, o, i in c.mats():
            for l in range(N):
                b = c.block_of(kind, l)
                if b < 0 or (name == "wv" and l % c.Sv) or (name in ("wq", "wk") and l % c.Sa):
                    continue
                if c.basis:
                    t["layer.%d.basis.%s.u" % (l, name)] = (o, c.basis)
                    t["%s.%d.%s.vt" % (kind, b, name)] = (c.basis, i)
                elif name in c.factored:
                    t["%s.%d.%s.u" % (kind, b, name)] = (o, c.factor)
                    t["%s.%d.%s.vt" % (kind, b, name)] = (c.factor, i)
                else:
                    t["%s.%d.%s" % (kind, b, name)] = (o, i)
                t["%s.%d.%s" % (kind, b, bias[name])] = (o,)
                if c.ln_shared and kind != "kv":
                    t["%s.%d.ln.w" % (kind, b)] = t["%s.%d.ln.b" % (kind, b)] = (C,)
                if c.R:
                    t["layer.%d.lora.%s.a" % (l, name)] = (c.R, i)
                    t["layer.%d.lora.%s.b" % (l, name)] = (o, c.R)
        for l in range(N):
            if not c.ln_shared:
                for k in ("ln1.w", "ln1.b", "ln2.w", "ln2.b"):
                    t["layer.%d.%s" % (l, k)] = (C,)
            if c.layerscale:
                t["layer.%d.ls1" % l] = t["layer.%d.ls2" % l] = (C,)
            if c.layer_pos_bias:
                t["layer.%d.posbias" % l] = (NB, NH)
        if c.D:
            M = sum(o + i for _, _, o, i in c.mats())
            t["hyper.z"], t["hyper.w1"], t["hyper.b1"] = (N, c.D), (c.D, c.D), (c.D,)
            t["hyper.w2"], t["hyper.b2"] = (M, c.D), (M,)
        if c.mor_kind in ("mor", "mor_expert"):
            t["mor.router"] = (c.mor_r, C)
        if c.mor_kind == "act":
            t["act.halt.w"], t["act.halt.b"] = (1, C), (1,)
        if c.final_ln:
            t["final.ln.w"] = t["final.ln.b"] = (C,)
        if c.pooler:
            t["pooler.w"], t["pooler.b"] = (C, C), (C,)
        if c.tied and E != C:
            t["head.proj.w"], t["head.proj.b"] = (E, C), (E,)
        if not c.tied:
            t["head.w"] = (c.V, C)
        return t


def t5_bucket(rel, bidirectional, num_buckets, max_distance):
    """Hugging Face T5Attention._relative_position_bucket, with the log in float32."""
    ret = torch.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        ret = ret + (rel > 0).long() * num_buckets
        rel = rel.abs()
    else:
        rel = -torch.min(rel, torch.zeros_like(rel))
    max_exact = num_buckets // 2
    is_small = rel < max_exact
    f32 = torch.float32
    large = max_exact + (torch.log(rel.to(f32) / max_exact)
                         / torch.log(torch.tensor(float(max_distance), dtype=f32) / max_exact)
                         * (num_buckets - max_exact)).long()
    large = torch.min(large, torch.full_like(large, num_buckets - 1))
    return ret + torch.where(is_small, rel, large)


def rope(x, base):
    """Half-split rotary embedding (GPT-NeoX): x (B,T,H,hd), pair (i, i+hd/2) turned by t*base^(-2i/hd)."""
    T, hd = x.shape[1], x.shape[3]
    half = hd // 2
    inv = base ** (-2.0 * torch.arange(half, dtype=torch.float64) / hd)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = ang.cos()[None, :, None, :], ang.sin()[None, :, None, :]
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def gelu_tanh(x):
    return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def attention(q, k, v, bias, causal, NH, G, maps=None, window=0, keep=None):
    """q (B,T,NH,hd); k, v (B,T,G,hd); query head h reads key/value head h*G//NH. maps, when given, gets the
    probabilities (B,NH,T,T). window > 0 (causal): query i sees keys i-window+1..i only. keep (B,T), when given,
    is the keys each sequence's queries may see (besides their own: a token sitting a recursion out still gets
    finite, unused values)."""
    B, T, _, hd = q.shape
    group = [h * G // NH for h in range(NH)]
    q = q.transpose(1, 2)
    k = k[:, :, group].transpose(1, 2)
    v = v[:, :, group].transpose(1, 2)
    scores = q @ k.transpose(-1, -2) / math.sqrt(hd)
    if bias is not None:
        scores = scores + bias[None]
    if causal:
        mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
        if window > 0:
            mask = mask | torch.tril(torch.ones(T, T, dtype=torch.bool), diagonal=-window)
        scores = scores.masked_fill(mask, float("-inf"))
    if keep is not None:
        seen = keep[:, None, None, :] | torch.eye(T, dtype=torch.bool)[None, None]
        scores = scores.masked_fill(~seen, float("-inf"))
    att = torch.softmax(scores, dim=-1)
    if maps is not None:
        maps.append(att)
    return (att @ v).transpose(1, 2).reshape(B, T, NH * hd)


class Reference:
    """The model of one checkpoint, in float64 PyTorch."""

    def __init__(self, cfg, weights):
        self.c = cfg
        self.params = {n: torch.nn.Parameter(torch.from_numpy(w.astype(np.float64))) for n, w in weights.items()}
        # with a depth rescaling of shared gradients, each depth uses its own copy of a block
        # tensor so its contribution can be read off and rescaled as the engine documents
        self.per_depth = cfg.grad_scale != "none"
        self.copies = {}

    def p(self, name, depth=None):
        if not self.per_depth or depth is None or name.split(".")[0] not in ("attn", "kv", "ffn"):
            return self.params[name]
        key = (name, depth)
        if key not in self.copies:
            self.copies[key] = self.params[name].detach().clone().requires_grad_(True)
        return self.copies[key]

    def effective(self, kind, name, l, mod):
        """Depth l's weight matrix: the block's, plus its low-rank or hypernetwork correction."""
        c = self.c
        base = "%s.%d.%s" % (kind, c.block_of(kind, l), name)
        if c.basis:              # basis:R, W_l = U_l Vt: the depth's coefficients over the block's basis
            w = self.p("layer.%d.basis.%s.u" % (l, name)) @ self.p(base + ".vt", l)
        elif name in c.factored:   # factor:R, W = U Vt
            w = self.p(base + ".u", l) @ self.p(base + ".vt", l)
        else:
            w = self.p(base, l)
        if c.R:
            w = w + self.p("layer.%d.lora.%s.b" % (l, name)) @ self.p("layer.%d.lora.%s.a" % (l, name))
        if c.D:
            off = 0
            for _, nm, o, i in c.mats():
                if nm == name:
                    r, s = mod[l, off:off + o], mod[l, off + o:off + o + i]
                    w = (1 + r)[:, None] * w * (1 + s)[None, :]
                    break
                off += o + i
        return w

    def forward(self, tokens, types, targets):
        c, p = self.c, self.p
        B, T = tokens.shape
        eps = c.ln_eps
        ln = lambda x, w, b: F.layer_norm(x, (x.shape[-1],), w, b, eps)
        wte = p("embed.tok")
        tok_emb = wte[tokens]
        tok_emb.retain_grad()
        self.tok_emb = tok_emb
        e = tok_emb
        if c.pos == "learned":
            e = e + p("embed.pos")[:T][None]
        if c.type_vocab:
            e = e + p("embed.type")[types]
        if c.embed_ln:
            e = ln(e, p("embed.ln.w"), p("embed.ln.b"))
        x = F.linear(e, p("embed.proj.w"), p("embed.proj.b")) if c.E != c.C else e

        buckets = None
        if c.pos == "relbias" or c.layer_pos_bias:
            pos = torch.arange(T)
            rel = pos[None, :] - pos[:, None]          # key j minus query i
            buckets = t5_bucket(rel, not c.causal, c.rel_buckets, c.rel_max_dist)   # (T,T)
        mod = None
        if c.D:
            h = torch.tanh(F.linear(p("hyper.z"), p("hyper.w1"), p("hyper.b1")))
            mod = F.linear(h, p("hyper.w2"), p("hyper.b2"))   # (N, M)

        if c.lckv:
            x = self.lckv_stack(x)
            c_N = 0          # the layers ran above
        else:
            c_N = c.N
        kv_at, map_at = {}, {}
        e = None
        self.aux = 0.0
        K, r = c.mor_K, c.mor_r
        act = c.mor_kind == "act"
        expert = c.mor_kind == "mor_expert"
        if act or expert:
            r = 0        # no token-choice routing below: the halting, the expert choice are the blocks after it
        for l in range(c_N):
            if l == c.prelude:
                e = x            # the prelude's output (the embedding when P = 0): the looped core's input
            keep = None
            if r and l == c.prelude:
                # Mixture-of-Recursions, token choice (the authors' token_choice_router.py): softmax router on the
                # core's input, top-1 recursion count, gate = its probability; balancing loss 0.1 sum_k P_k f_k, z-loss 1e-5
                z = F.linear(x, p("mor.router"))
                probs = torch.softmax(z, dim=-1)
                depth = probs.argmax(dim=-1)                           # (B,T): the last recursion, 0 .. r-1
                gate = probs.gather(-1, depth[..., None])              # (B,T,1)
                frac = F.one_hot(depth, r).double().mean(dim=(0, 1))
                self.aux = 0.1 * (probs.mean(dim=(0, 1)) * r * frac).sum() + 1e-5 * (torch.logsumexp(z, -1) ** 2).mean()
                h_core, mix = x, torch.zeros_like(x)
            if r and c.prelude <= l < c.prelude + K * r:
                keep = depth >= (l - c.prelude) // K                   # the tokens running this recursion
            if r and l == c.prelude + K * r:
                x = h_core + mix     # the coda reads H1 + g S^(i+1)
            if act and l == c.prelude:
                # adaptive computation time as tensor2tensor's universal_transformer_util.py (act_type basic):
                # threshold 1 - 0.01, halting bias initialised at 1, ponder loss 0.01 mean(n_updates + remainders)
                hsum, rem, nup, y = torch.zeros(B, T), torch.zeros(B, T), torch.zeros(B, T), torch.zeros_like(x)
            if act and c.prelude <= l < c.prelude + K * c.mor_r and (l - c.prelude) % K == 0:
                ph = torch.sigmoid(F.linear(x, p("act.halt.w"), p("act.halt.b")))[..., 0]
                running = (hsum < 1).double()
                halted = (hsum + ph * running > 0.99).double() * running
                running = (hsum + ph * running <= 0.99).double() * running
                hsum = hsum + ph * running
                rem = rem + halted * (1 - hsum)
                hsum = hsum + halted * rem
                nup = nup + running + halted
                u = (ph * running + halted * rem)[..., None]
            if act and l == c.prelude + K * c.mor_r:
                self.aux = 0.01 * (nup + rem).mean()
                x = y            # the coda reads the steps' states weighted by their halting probabilities
            if expert and c.prelude <= l <= c.prelude + K * c.mor_r and (l - c.prelude) % K == 0:
                # Mixture-of-Recursions, expert choice (the authors' expert_choice_router.py, alpha 0.1, sigmoid,
                # capacities (r-j)/r, aux_loss 0.001): X_j = X_{j-1} + g f(X_{j-1}) for the selected, X_{j-1} else
                j, rr = (l - c.prelude) // K, c.mor_r
                if j > 0:
                    x = torch.where(sel[..., None], xj + g[..., None] * x, xj)
                if j < rr:
                    z = F.linear(x, p("mor.router")[j:j + 1])[..., 0]          # (B,T)
                    cand = torch.ones(B, T, dtype=torch.bool) if j == 0 else sel
                    k = max(1, int((rr - j) / rr * T))
                    zc = torch.where(cand, z.detach(), torch.full_like(z, -float("inf")))
                    top = torch.topk(zc, k, dim=1).indices                      # a constant choice
                    sel = torch.zeros(B, T, dtype=torch.bool).scatter(1, top, True) & cand
                    bce = F.binary_cross_entropy_with_logits(z[cand], sel[cand].double(), reduction="sum")
                    self.aux = self.aux + 0.001 * bce / cand.sum()
                    xj, g = x, 0.1 * torch.sigmoid(z)
                    keep = sel if j > 0 else None
            elif expert and c.prelude <= l < c.prelude + K * c.mor_r:
                keep = sel if (l - c.prelude) // K > 0 else None
            x_in = x
            if l in c.inject:
                x = x + e        # injected again at each later loop's start
            ln1, ln2, ls1, ls2 = self.norms(l)
            W = lambda kind, name: self.effective(kind, name, l, mod)
            bvec = lambda kind, name: p("%s.%d.%s" % (kind, c.block_of(kind, l), name), l)

            a = x if c.post_ln else ln(x, *ln1)
            if l % c.Sa:
                # attn_reuse: depth l - l % Sa's map over this depth's own values
                v = F.linear(a, W("kv", "wv"), bvec("kv", "bv")).view(B, T, c.G, c.hd)
                v = v[:, :, [h * c.G // c.NH for h in range(c.NH)]].transpose(1, 2)
                att = (map_at[l - l % c.Sa] @ v).transpose(1, 2).reshape(B, T, c.NH * c.hd)
            else:
                att = None
            if att is None:
                q = F.linear(a, W("attn", "wq"), bvec("attn", "bq")).view(B, T, c.NH, c.hd)
            if att is None and c.kv_src[l] == l:
                k = F.linear(a, W("kv", "wk"), bvec("kv", "bk")).view(B, T, c.G, c.hd)
                if l % c.Sv == 0:
                    v = F.linear(a, W("kv", "wv"), bvec("kv", "bv")).view(B, T, c.G, c.hd)
                else:
                    v = kv_at[l - l % c.Sv][1]
                if c.pos == "rope":
                    k = rope(k, c.rope_base)
                kv_at[l] = (k, v)
            elif att is None:
                k, v = kv_at[c.kv_src[l]]
            if att is None and c.pos == "rope":
                q = rope(q, c.rope_base)
            bias = None
            if buckets is not None:
                table = torch.zeros(c.rel_buckets, c.NH, dtype=torch.float64)
                if c.pos == "relbias":
                    table = table + p("pos.relbias")
                if c.layer_pos_bias:
                    table = table + p("layer.%d.posbias" % l)
                bias = table[buckets].permute(2, 0, 1)     # (NH,T,T)
            if att is None:
                maps = []
                window = c.yoco if c.yoco and l < c.N // 2 else 0
                att = attention(q, k, v, bias, c.causal, c.NH, c.G, maps, window, None if c.mor_kv_share else keep)
                map_at[l] = maps[0]
            ao = F.linear(att, W("attn", "wo"), bvec("attn", "bo"))
            z1 = x + ls1 * ao
            h1 = ln(z1, *ln1) if c.post_ln else z1
            f = h1 if c.post_ln else ln(h1, *ln2)
            fo = F.linear(gelu_tanh(F.linear(f, W("ffn", "w1"), bvec("ffn", "b1"))), W("ffn", "w2"), bvec("ffn", "b2"))
            z2 = h1 + ls2 * fo
            x = ln(z2, *ln2) if c.post_ln else z2
            if keep is not None and not expert:
                x = torch.where(keep[..., None], x, x_in)                # the others keep their state
                j = (l - c.prelude) // K
                if (l - c.prelude) % K == K - 1:                          # the tokens finishing at recursion j
                    mix = mix + torch.where((depth == j)[..., None], gate * x, torch.zeros_like(x))
            if act and c.prelude <= l < c.prelude + K * c.mor_r and (l - c.prelude) % K == K - 1:
                y = u * x + (1 - u) * y

        h = ln(x, p("final.ln.w"), p("final.ln.b")) if c.final_ln else x
        if c.pooler:
            pooled = torch.tanh(F.linear(h[:, 0], p("pooler.w"), p("pooler.b")))
            h = torch.cat([pooled[:, None], h[:, 1:]], dim=1)
        if c.tied:
            he = F.linear(h, p("head.proj.w"), p("head.proj.b")) if c.E != c.C else h
            logits = he @ wte.t()
        else:
            logits = h @ p("head.w").t()
        self.probs = torch.softmax(logits, dim=-1)
        self.logits = logits
        return F.cross_entropy(logits.reshape(B * T, c.V), targets.reshape(B * T), ignore_index=-1)

    def norms(self, l):
        """Depth l's LayerNorm parameters before attention and the feed-forward block, (weight, bias) each, and its
        LayerScale factors (1.0 without)."""
        c, p = self.c, self.p
        ab, fb = c.attn[l], c.ffn_map[l]
        if c.ln_shared:
            ln1 = (p("attn.%d.ln.w" % ab, l), p("attn.%d.ln.b" % ab, l))
            ln2 = (p("ffn.%d.ln.w" % fb, l), p("ffn.%d.ln.b" % fb, l))
        else:
            ln1 = (p("layer.%d.ln1.w" % l), p("layer.%d.ln1.b" % l))
            ln2 = (p("layer.%d.ln2.w" % l), p("layer.%d.ln2.b" % l))
        ls1 = p("layer.%d.ls1" % l) if c.layerscale else 1.0
        ls2 = p("layer.%d.ls2" % l) if c.layerscale else 1.0
        return ln1, ln2, ls1, ls2

    def lckv_layer(self, l, x, kv):
        """One pre- or post-LN layer of an LCKV model: its own keys and values (stored in kv[l]) or, below the top
        condensed layer, kv[top]'s with the diagonal masked (flash_attention_forward's no_diag: key j < i, and the
        first query's output 0)."""
        c, p = self.c, self.p
        B, T, _ = x.shape
        ln = lambda y, w, b: F.layer_norm(y, (y.shape[-1],), w, b, c.ln_eps)
        ln1, ln2, ls1, ls2 = self.norms(l)
        W = lambda kind, name: self.effective(kind, name, l, None)
        bvec = lambda kind, name: p("%s.%d.%s" % (kind, c.block_of(kind, l), name), l)
        a = x if c.post_ln else ln(x, *ln1)
        q = F.linear(a, W("attn", "wq"), bvec("attn", "bq")).view(B, T, c.NH, c.hd)
        if c.pos == "rope":
            q = rope(q, c.rope_base)
        if c.kv_src[l] == l:
            k = F.linear(a, W("kv", "wk"), bvec("kv", "bk")).view(B, T, c.G, c.hd)
            v = F.linear(a, W("kv", "wv"), bvec("kv", "bv")).view(B, T, c.G, c.hd)
            if c.pos == "rope":
                k = rope(k, c.rope_base)
            kv[l] = (k, v)
        k, v = kv[c.kv_src[l]]
        group = [h * c.G // c.NH for h in range(c.NH)]
        qh, kh, vh = q.transpose(1, 2), k[:, :, group].transpose(1, 2), v[:, :, group].transpose(1, 2)
        scores = qh @ kh.transpose(-1, -2) / math.sqrt(c.hd)
        nodiag = c.kv_src[l] > l
        scores = scores.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=0 if nodiag else 1),
                                    float("-inf"))
        if nodiag:   # the first query sees no key: its output is zeros (their flash path's prune_query)
            out = torch.softmax(scores[:, :, 1:], dim=-1) @ vh
            out = torch.cat([torch.zeros_like(out[:, :, :1]), out], dim=2)
        else:
            out = torch.softmax(scores, dim=-1) @ vh
        att = out.transpose(1, 2).reshape(B, T, c.NH * c.hd)
        z1 = x + ls1 * F.linear(att, W("attn", "wo"), bvec("attn", "bo"))
        h1 = ln(z1, *ln1) if c.post_ln else z1
        f = h1 if c.post_ln else ln(h1, *ln2)
        fo = F.linear(gelu_tanh(F.linear(f, W("ffn", "w1"), bvec("ffn", "b1"))), W("ffn", "w2"), bvec("ffn", "b2"))
        z2 = h1 + ls2 * fo
        return ln(z2, *ln2) if c.post_ln else z2

    def lckv_stack(self, x):
        """Every layer of an LCKV model, as the authors' _modeling_with_plan runs iteration_plan(7, 2): the bottom
        warmup layers once; the condensed layers lo..top 7 times under no_grad and 2 times with gradients, each pass
        from the same input, reading the top layer's keys and values of the pass before (zeros at first), only the last
        pass's output kept; then the top warmup layers."""
        c = self.c
        lo, top = c.lckv
        B, T, _ = x.shape
        kv = {top: (torch.zeros(B, T, c.G, c.hd), torch.zeros(B, T, c.G, c.hd))}
        for l in range(lo):
            x = self.lckv_layer(l, x, kv)
        for i in range(7 + 2):
            y = x
            with torch.set_grad_enabled(i >= 7):
                for l in range(lo, top + 1):
                    y = self.lckv_layer(l, y, kv)
        x = y
        for l in range(top + 1, c.N):
            x = self.lckv_layer(l, x, kv)
        return x

    def gradients(self):
        """Gradient of every tensor by name (block tensors rescaled per depth when configured)."""
        out = {}
        for name, prm in self.params.items():
            out[name] = prm.grad.clone() if prm.grad is not None else torch.zeros_like(prm)
        if self.per_depth:
            by_name = {}
            for (name, depth), t in self.copies.items():
                g = t.grad if t.grad is not None else torch.zeros_like(t)
                by_name.setdefault(name, []).append(g)
            for name, contribs in by_name.items():
                norms = [float(g.norm()) for g in contribs]
                mean = sum(norms) / len(norms)
                total = torch.zeros_like(self.params[name])
                for g, nrm in zip(contribs, norms):
                    if self.c.grad_scale == "mean":
                        s = 1.0 / len(contribs)
                    elif self.c.grad_scale == "norm":
                        s = mean / nrm if nrm > 0 else 0.0
                    else:
                        raise ValueError("unknown grad_scale %r" % self.c.grad_scale)
                    total = total + s * g
                out[name] = out[name] + total
        return out


def distill_loss(zs, zt, targets, T, alpha):
    """Hinton et al.'s loss as PyTorch's KD recipes write it: (1 - alpha) CE + alpha T^2 KL(teacher || student),
    KL through F.kl_div, averaged over the scored positions."""
    V = zs.shape[-1]
    zs, zt, t = zs.reshape(-1, V), zt.reshape(-1, V), targets.reshape(-1)
    keep = t >= 0
    ce = F.cross_entropy(zs[keep], t[keep])
    kl = F.kl_div(F.log_softmax(zs[keep] / T, dim=-1), F.log_softmax(zt[keep] / T, dim=-1), log_target=True,
                  reduction="batchmean")
    return (1 - alpha) * ce + alpha * T * T * kl


# -------------------------------------------------------------------- checking

def rel_error(a, b):
    """(||a-b|| / ||b||, within tolerance) with a the engine's, b the reference."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        return float("inf"), False
    d, nb = float(np.linalg.norm(a - b)), float(np.linalg.norm(b))
    return d / max(nb, 1e-12), bool(np.isfinite(d) and d <= RTOL * nb + ATOL)


def check(outdir, name):
    """Compare one configuration. Returns (ok, worst relative error, where, problems)."""
    weights, meta = read_safetensors(os.path.join(outdir, name + ".safetensors"))
    got, gmeta = read_safetensors(os.path.join(outdir, name + ".grads.safetensors"))
    problems = []
    if meta.get("format") != "pt" or meta.get("sharebench.format") != "2":
        problems.append("checkpoint format is %r / sharebench.format %r, expected pt / 2"
                        % (meta.get("format"), meta.get("sharebench.format")))
    cfg = Config(meta)
    problems += cfg.map_errors
    want = cfg.expected_tensors()
    for n in sorted(set(want) - set(weights)):
        problems.append("tensor %s is missing from the checkpoint" % n)
    for n in sorted(set(weights) - set(want)):
        problems.append("checkpoint has an unexpected tensor %s" % n)
    for n in sorted(set(want) & set(weights)):
        if tuple(weights[n].shape) != tuple(want[n]):
            problems.append("tensor %s has shape %s, expected %s" % (n, list(weights[n].shape), list(want[n])))
    if problems:
        return False, float("inf"), "layout", problems

    model = Reference(cfg, weights)
    tokens = torch.from_numpy(got["tokens"].astype(np.int64))
    types = torch.from_numpy(got["types"].astype(np.int64))
    targets = torch.from_numpy(got["targets"].astype(np.int64))
    loss = model.forward(tokens, types, targets)
    if "distill" in gmeta:   # the student's loss against the stored teacher logits
        T, alpha = (float(x) for x in gmeta["distill"].split())
        loss = distill_loss(model.logits, torch.from_numpy(got["teacher_logits"].astype(np.float64)), targets, T, alpha)
    (loss + model.aux).backward()   # mor's balancing and z losses join the gradient, not the loss reported
    grads = model.gradients()

    worst, where = 0.0, ""
    ref_loss, eng_loss = float(loss), float(got["loss"].reshape(-1)[0])
    r = abs(eng_loss - ref_loss) / max(abs(ref_loss), 1e-12)
    if not abs(eng_loss - ref_loss) <= RTOL * abs(ref_loss):
        problems.append("loss: engine %.10g, torch %.10g (relative %.2e)" % (eng_loss, ref_loss, r))
    worst, where, zeros, zero_abs = r, "loss", 0, 0.0
    pairs = [("probs", got.get("probs"), model.probs.detach().numpy()),
             ("embed_grad", got.get("embed_grad"), model.tok_emb.grad.numpy())]
    for n in sorted(want):
        pairs.append(("grad." + n, got.get("grad." + n), grads[n].numpy()))
    for key in sorted(set(got) - {p[0] for p in pairs} - {"tokens", "types", "targets", "loss", "teacher_logits"}):
        problems.append("the export has an unexpected array %s" % key)
    for key, a, b in pairs:
        if a is None:
            problems.append("%s is missing from the export" % key)
            continue
        r, ok = rel_error(a, b)
        if not ok:
            problems.append("%s: ||engine - torch|| / ||torch|| = %.3e (||torch|| = %.3e)"
                            % (key, r, float(np.linalg.norm(b))))
        if float(np.linalg.norm(b)) < ZERO:
            # analytically zero (a key bias without RoPE: softmax ignores a per-query constant);
            # a relative error means nothing there, the absolute bound ATOL applies
            zeros += 1
            zero_abs = max(zero_abs, float(np.linalg.norm(np.asarray(a, dtype=np.float64) - b)))
        elif r > worst:
            worst, where = r, key
    if zeros:
        where += "; %d zero gradients within %.1e absolute" % (zeros, zero_abs)
    return not problems, worst, where, problems


def main():
    if len(sys.argv) != 2:
        print("usage: %s path/to/torch_export" % sys.argv[0], file=sys.stderr)
        return 2
    exporter = os.path.abspath(sys.argv[1])
    if not os.access(exporter, os.X_OK):
        print("torch_check: exporter %s not found or not executable (make %s)" % (exporter, sys.argv[1]),
              file=sys.stderr)
        return 1
    torch.set_default_dtype(torch.float64)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="torch_check.") as outdir:
        run = subprocess.run([exporter, outdir])
        if run.returncode != 0:
            print("torch_check: %s %s exited with status %d" % (exporter, outdir, run.returncode), file=sys.stderr)
            return 1
        with open(os.path.join(outdir, "list.txt")) as f:
            names = [line.strip() for line in f if line.strip()]
        if not names:
            print("torch_check: the exporter listed no configurations", file=sys.stderr)
            return 1
        for name in names:
            try:
                ok, worst, where, problems = check(outdir, name)
            except Exception as e:  # a broken file or an unknown setting is a failure, not a crash
                ok, worst, where, problems = False, float("inf"), "", ["%s: %s" % (type(e).__name__, e)]
            print("%-4s %-22s worst relative error %.2e (%s)" % ("ok" if ok else "FAIL", name, worst, where))
            for msg in problems:
                print("       " + msg)
            passed += ok
            failed += not ok
    print("torch_check: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
