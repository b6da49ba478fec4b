#!/usr/bin/env python3
"""hf_check.py: do `sharebench export-hf` directories compute what sharebench computes?

Usage:
  hf_check.py numpy DIR...              every DIR (from export-hf --reference) through a NumPy
                                        GPT-2 or ALBERT written here from transformers' definitions
  hf_check.py transformers DIR...       every DIR loaded by transformers itself (skipped, exit 77,
                                        when transformers is not installed)
  hf_check.py from-transformers SB WORK models made by transformers (random weights, saved with
                                        save_pretrained), read by `SB import-hf`, exported again
                                        with --reference: sharebench's logits against transformers'

Each DIR holds config.json, model.safetensors (and for ALBERT sharebench_head.safetensors) and
sharebench_reference.safetensors: a batch of token ids, sharebench's logits for them and, for
ALBERT, its last hidden state. The NumPy model follows transformers' modelling code for the two
families (GPT2LMHeadModel: pre-LN blocks, Conv1D weights stored (in, out) with query, key and value
side by side in c_attn, the tanh GELU "gelu_new", ln_f, logits on the tied embeddings; AlbertModel:
embeddings summed and normalised, mapped to the hidden width, post-LN layers picked by
num_hidden_groups and inner_group_num, a tanh pooler on position 0), in float64; sharebench's head
for ALBERT as config.json's "sharebench" note describes it. It shares no code with the engine.

Logits (and ALBERT's last hidden state) must agree within 1e-4 (absolute, the largest difference
over the batch). Prints one line per directory with that difference; exit 1 on any mismatch.
"""
import json
import os
import subprocess
import sys

import numpy as np

from safetensors_np import read_safetensors as _read

TOL = 1e-4


def read_safetensors(path):
    """(tensors by name as float64 or int64 arrays, metadata) of a safetensors file."""
    tensors, meta = _read(path)
    return {k: v.astype(np.float64 if v.dtype.kind == "f" else np.int64) for k, v in tensors.items()}, meta


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def gelu_new(x):
    """transformers' NewGELUActivation: the tanh approximation."""
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def attention(q, k, v, heads, causal):
    """q, k, v (B, T, C): scaled dot-product attention over heads, (B, T, C)."""
    B, T, C = q.shape
    hd = C // heads
    split = lambda x: x.reshape(B, T, heads, hd).transpose(0, 2, 1, 3)
    s = split(q) @ split(k).transpose(0, 1, 3, 2) / np.sqrt(hd)
    if causal:
        s = np.where(np.tril(np.ones((T, T), dtype=bool)), s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return (p @ split(v)).transpose(0, 2, 1, 3).reshape(B, T, C)


def gpt2(cfg, w, ids):
    """GPT2LMHeadModel's logits (B, T, V)."""
    p = "transformer."
    C, H, eps = cfg["n_embd"], cfg["n_head"], cfg["layer_norm_epsilon"]
    B, T = ids.shape
    x = w[p + "wte.weight"][ids] + w[p + "wpe.weight"][np.arange(T)]
    for l in range(cfg["n_layer"]):
        h = "%sh.%d." % (p, l)
        a = layer_norm(x, w[h + "ln_1.weight"], w[h + "ln_1.bias"], eps)
        qkv = a @ w[h + "attn.c_attn.weight"] + w[h + "attn.c_attn.bias"]      # Conv1D: x @ W, W (in, out)
        q, k, v = qkv[..., :C], qkv[..., C:2 * C], qkv[..., 2 * C:]
        x = x + attention(q, k, v, H, True) @ w[h + "attn.c_proj.weight"] + w[h + "attn.c_proj.bias"]
        f = layer_norm(x, w[h + "ln_2.weight"], w[h + "ln_2.bias"], eps)
        f = gelu_new(f @ w[h + "mlp.c_fc.weight"] + w[h + "mlp.c_fc.bias"])
        x = x + f @ w[h + "mlp.c_proj.weight"] + w[h + "mlp.c_proj.bias"]
    x = layer_norm(x, w[p + "ln_f.weight"], w[p + "ln_f.bias"], eps)
    head = w[p + "wte.weight"] if cfg.get("tie_word_embeddings", True) else w["lm_head.weight"]
    return x @ head.T, None


def albert(cfg, w, head, ids):
    """AlbertModel's last hidden state, and sharebench's logits on it (config.json's note)."""
    eps, H = cfg["layer_norm_eps"], cfg["num_attention_heads"]
    L, G, inner = cfg["num_hidden_layers"], cfg["num_hidden_groups"], cfg["inner_group_num"]
    B, T = ids.shape
    lin = lambda x, name: x @ w[name + ".weight"].T + w[name + ".bias"]        # nn.Linear: W (out, in)
    e = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][np.arange(T)]
    e = e + w["embeddings.token_type_embeddings.weight"][0]
    e = layer_norm(e, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    h = lin(e, "encoder.embedding_hidden_mapping_in")
    for i in range(L):
        g = int(i / (L / G))
        for k in range(inner):
            p = "encoder.albert_layer_groups.%d.albert_layers.%d." % (g, k)
            ctx = attention(lin(h, p + "attention.query"), lin(h, p + "attention.key"), lin(h, p + "attention.value"), H, False)
            a = layer_norm(h + lin(ctx, p + "attention.dense"), w[p + "attention.LayerNorm.weight"], w[p + "attention.LayerNorm.bias"], eps)
            f = lin(gelu_new(lin(a, p + "ffn")), p + "ffn_output")
            h = layer_norm(f + a, w[p + "full_layer_layer_norm.weight"], w[p + "full_layer_layer_norm.bias"], eps)
    note = cfg["sharebench"]
    x = h.copy()
    if note["pooled_position_0"]:
        x[:, 0] = np.tanh(lin(h[:, 0], "pooler"))
    if "head.weight" in head:
        return x @ head["head.weight"].T, h
    if "head.proj.weight" in head:
        x = x @ head["head.proj.weight"].T + head["head.proj.bias"]
    return x @ w["embeddings.word_embeddings.weight"].T, h


def load(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    ref, _ = read_safetensors(os.path.join(d, "sharebench_reference.safetensors"))
    return cfg, ref


def report(d, what, diffs):
    worst = max(diffs.values())
    ok = bool(np.isfinite(worst) and worst <= TOL)
    print("%-14s %-40s %s: %s" % (what, os.path.basename(d.rstrip("/")), ", ".join(
        "%s max |diff| %.2e" % kv for kv in diffs.items()), "ok" if ok else "MISMATCH"))
    return ok


def check_numpy(d):
    cfg, ref = load(d)
    w, meta = read_safetensors(os.path.join(d, "model.safetensors"))
    if meta.get("format") != "pt":
        print("%s: model.safetensors metadata format is %r, transformers expects 'pt'" % (d, meta.get("format")))
        return False
    ids = ref["input_ids"]
    if cfg["model_type"] == "gpt2":
        logits, hidden = gpt2(cfg, w, ids)
    else:
        head, _ = read_safetensors(os.path.join(d, "sharebench_head.safetensors"))
        logits, hidden = albert(cfg, w, head, ids)
    diffs = {"logits": float(np.abs(logits - ref["logits"]).max())}
    if hidden is not None:
        diffs["hidden"] = float(np.abs(hidden - ref["last_hidden_state"]).max())
    return report(d, "numpy " + cfg["model_type"], diffs)


def transformers_logits(d, cfg, ids):
    """transformers' own model from DIR: logits (and ALBERT's hidden state), loading checked whole."""
    import torch
    import transformers
    cls = transformers.GPT2LMHeadModel if cfg["model_type"] == "gpt2" else transformers.AlbertModel
    model, info = cls.from_pretrained(d, output_loading_info=True)
    bad = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    if bad:
        raise RuntimeError("%s: transformers loaded it with %s" % (d, bad))
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(ids))
    if cfg["model_type"] == "gpt2":
        return out.logits.double().numpy(), None
    h = out.last_hidden_state.double().numpy()
    head, _ = read_safetensors(os.path.join(d, "sharebench_head.safetensors"))
    x = h.copy()
    if cfg["sharebench"]["pooled_position_0"]:
        x[:, 0] = out.pooler_output.double().numpy()
    if "head.weight" in head:
        return x @ head["head.weight"].T, h
    if "head.proj.weight" in head:
        x = x @ head["head.proj.weight"].T + head["head.proj.bias"]
    emb = model.embeddings.word_embeddings.weight.detach().double().numpy()
    return x @ emb.T, h


def check_transformers(d):
    import transformers
    cfg, ref = load(d)
    logits, hidden = transformers_logits(d, cfg, ref["input_ids"])
    diffs = {"logits": float(np.abs(logits - ref["logits"]).max())}
    if hidden is not None:
        diffs["hidden"] = float(np.abs(hidden - ref["last_hidden_state"]).max())
    return report(d, "transformers %s %s" % (transformers.__version__, cfg["model_type"]), diffs)


def from_transformers(sb, work):
    """Models saved by transformers, imported by sharebench: the same function?"""
    import torch
    import transformers
    torch.manual_seed(0)
    made = {
        "tf-gpt2": transformers.GPT2LMHeadModel(transformers.GPT2Config(
            vocab_size=61, n_positions=24, n_embd=32, n_layer=3, n_head=4, n_inner=48, activation_function="gelu_new",
            resid_pdrop=0, embd_pdrop=0, attn_pdrop=0)),
        "tf-albert": transformers.AlbertModel(transformers.AlbertConfig(
            vocab_size=53, embedding_size=16, hidden_size=32, num_hidden_layers=4, num_hidden_groups=2, inner_group_num=1,
            num_attention_heads=4, intermediate_size=48, hidden_act="gelu_new", max_position_embeddings=24,
            type_vocab_size=2, hidden_dropout_prob=0, attention_probs_dropout_prob=0)),
    }
    ok = True
    for name, model in made.items():
        with torch.no_grad():   # LayerNorms and biases off their initial 1 and 0
            for p in model.parameters():
                p.add_(0.05 * torch.randn_like(p))
        src, ckpt, back = (os.path.join(work, name + s) for s in ("", ".safetensors", "-back"))
        model.save_pretrained(src)   # safetensors: the default of transformers 4.35 and later
        for cmd in ([sb, "import-hf", src, ckpt], [sb, "export-hf", ckpt, back, "--reference"]):
            subprocess.run(cmd, check=True)
        cfg, ref = load(back)
        model.eval()
        with torch.no_grad():
            out = model(torch.from_numpy(ref["input_ids"]))
        if name == "tf-gpt2":
            diffs = {"logits": float(np.abs(out.logits.double().numpy() - ref["logits"]).max())}
        else:   # ALBERT without a head: its encoder's output
            diffs = {"hidden": float(np.abs(out.last_hidden_state.double().numpy() - ref["last_hidden_state"]).max())}
        ok &= report(src, "import %s" % cfg["model_type"], diffs)
    return ok


def main(argv):
    if len(argv) < 3 or argv[1] not in ("numpy", "transformers", "from-transformers"):
        print(__doc__.strip().split("\n\n")[0], file=sys.stderr)
        return 2
    if argv[1] != "numpy":
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            print("skipped: transformers is not installed (pip install transformers to load the exports with it)")
            return 77
    if argv[1] == "from-transformers":
        return 0 if from_transformers(argv[2], argv[3]) else 1
    check = check_numpy if argv[1] == "numpy" else check_transformers
    results = [check(d) for d in argv[2:]]
    print("hf_check %s: %d passed, %d failed" % (argv[1], sum(results), len(results) - sum(results)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
