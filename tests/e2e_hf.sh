#!/bin/bash
# End-to-end: Hugging Face interop. Small models of both families, trained a
# few steps (so LayerNorms and biases leave their initial values), under the
# sharing modes and switches export-hf unrolls or groups, go through
# `export-hf --reference`; tests/hf_check.py loads each directory into its own
# NumPy GPT-2 or ALBERT and compares the logits with sharebench's (1e-4), and
# with transformers itself where it is installed. Then: import-hf gives back
# byte-identical weights, an imported model starts a run with another
# sharing, and what has no counterpart in transformers is refused (exit 2,
# the key named, nothing written).
set -u
SB=${1:-build/release/sharebench}
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/sb-e2e-hf-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "e2e_hf: FAIL: $*"; exit 1; }
export OMP_NUM_THREADS=1
"$PY" -c 'import numpy' 2>/dev/null || { echo "e2e_hf: skipped: NumPy is missing (apt-get install python3-numpy)"; exit 77; }

quick="--preset tiny --steps 8 --batch 4 --no-store --quiet analysis=0 eval_examples=8 test_examples=8"
albert="causal=0 post_ln=1 final_ln=0 embed_ln=1 type_vocab=2 pooler=1 embed=16 ln_shared=1"
# name <TAB> task <TAB> keys <TAB> layers expected in the export
cases=$(cat <<TABLE
gpt-none	copy:len=4	layers=3 sharing=none	3
gpt-cycle	copy:len=4	layers=4 sharing=cycle:2	4
gpt-lowrank-ls-untied	copy:len=4	layers=4 sharing=cycle:2+lowrank:2 layerscale=1 tied=0	4
gpt-hyper	copy:len=4	layers=3 sharing=hyper:4	3
gpt-factor	copy:len=4	layers=4 sharing=all factor=4	4
gpt-basis	copy:len=4	layers=4 sharing=sequence:2+basis:4	4
albert-all	listops	layers=4 sharing=all $albert	1
albert-cycle	listops	layers=4 sharing=cycle:2 $albert	2
albert-sequence	listops	layers=6 sharing=sequence:2 $albert	2
albert-lnperdepth	listops	layers=3 sharing=all ${albert/ln_shared=1/ln_shared=0}	3
albert-nopool-untied-e=c	agreement	layers=2 sharing=all causal=0 post_ln=1 final_ln=0 embed_ln=1 ln_shared=1 tied=0	1
TABLE
)
dirs=()
while IFS=$'\t' read -r name task keys want; do
  # shellcheck disable=SC2086
  "$SB" run --task "$task" $quick $keys --save "$dir/$name.safetensors" || fail "$name: the run failed"
  out=$("$SB" export-hf "$dir/$name.safetensors" "$dir/$name" --reference) || fail "$name: export-hf failed"
  echo "$out" | grep -q " $want layers\? for " || fail "$name: expected $want layers written: $out"
  dirs+=("$dir/$name")
done <<<"$cases"
# the layer groups of ALBERT exports (cycle:2 -> inner groups of 2, sequence:2 -> 2 groups)
grep -q '"inner_group_num":	2' "$dir/albert-cycle/config.json" || fail "albert-cycle: inner_group_num is not 2"
grep -q '"num_hidden_groups":	2' "$dir/albert-sequence/config.json" || fail "albert-sequence: num_hidden_groups is not 2"
"$PY" "$HERE/hf_check.py" numpy "${dirs[@]}" || fail "the NumPy models disagree with sharebench"
"$PY" "$HERE/hf_check.py" transformers "${dirs[@]}"; rc=$?
[ $rc = 0 ] || [ $rc = 77 ] || fail "transformers disagrees with sharebench"

# back: the same weights, byte for byte, and the same logits
for name in gpt-cycle albert-all albert-cycle albert-nopool-untied-e=c; do
  "$SB" import-hf "$dir/$name" "$dir/$name.back.safetensors" --quiet 2>"$dir/note" || fail "$name: import-hf failed"
  "$SB" export-hf "$dir/$name.back.safetensors" "$dir/$name.back" --reference --quiet || fail "$name: export-hf of the import failed"
  for f in model.safetensors sharebench_reference.safetensors; do
    cmp -s "$dir/$name/$f" "$dir/$name.back/$f" || fail "$name: $f differs after import-hf and export-hf"
  done
done
# an imported (unrolled) GPT-2 starts a run under another sharing
"$SB" run --task copy:len=4 --init-from "$dir/gpt-cycle.back.safetensors" --sharing all --steps 2 --batch 4 --no-store --quiet \
  analysis=0 eval_examples=8 test_examples=8 || fail "a run from an imported model failed"

# refused: the key named, exit 2, no directory made
refuse() {
  local name=$1 frag=$2; shift 2
  "$SB" run --task "$@" $quick --save "$dir/r-$name.safetensors" || fail "refuse $name: the run failed"
  "$SB" export-hf "$dir/r-$name.safetensors" "$dir/r-$name" >/dev/null 2>"$dir/err"; rc=$?
  [ $rc = 2 ] || fail "refuse $name: exit $rc, want 2"
  grep -qF -- "$frag" "$dir/err" || fail "refuse $name: message does not name '$frag': $(cat "$dir/err")"
  [ ! -e "$dir/r-$name" ] || fail "refuse $name: $dir/r-$name was created"
}
refuse rope "pos=rope" copy:len=4 pos=rope
refuse kvshare "kv_share" copy:len=4 layers=4 sharing=all+kv_share:2
refuse vshare "v_share" copy:len=4 layers=4 sharing=v_share:4
refuse attnreuse "attn_reuse" copy:len=4 layers=4 sharing=attn_reuse:2
refuse yoco "sliding window" copy:len=4 layers=4 sharing=yoco:2
refuse lckv "top one's keys and values" copy:len=4 layers=4 sharing=lckv:2
refuse looped "has no input injection" copy:len=4 layers=4 ln_shared=1 sharing=loop:1,1,1
refuse gqa "kv_heads=1" copy:len=4 heads=2 kv_heads=1
refuse int8 "int8" copy:len=4 quant=int8
refuse preln-encoder "causal=0 with post_ln=0" listops causal=0
refuse embed-gpt "embed=16" copy:len=4 embed=16
"$SB" import-hf "$dir/nonexistent" "$dir/x.safetensors" 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "config.json" "$dir/err" && [ ! -e "$dir/x.safetensors" ] || fail "import-hf of a missing directory: exit $rc, $(cat "$dir/err")"
sed 's/"gpt2"/"llama"/' "$dir/gpt-none/config.json" > "$dir/llama.json" && mkdir -p "$dir/llama" && cp "$dir/llama.json" "$dir/llama/config.json"
cp "$dir/gpt-none/model.safetensors" "$dir/llama/"
"$SB" import-hf "$dir/llama" "$dir/x.safetensors" 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "model_type 'llama'" "$dir/err" || fail "import-hf of a llama config: exit $rc, $(cat "$dir/err")"
# a transformers directory given where a checkpoint is expected says what to do
"$SB" run --task copy --init-from "$dir/gpt-none/model.safetensors" --no-store 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "import-hf" "$dir/err" || fail "--init-from an exported model.safetensors: exit $rc, $(cat "$dir/err")"
# the optimizer state apart from the weights, and a run resumed from both
"$SB" run --task copy:len=4 $quick --save "$dir/w.safetensors" --save-optim "$dir/w.optim.safetensors" || fail "--save-optim"
"$PY" - "$dir/w.safetensors" "$dir/w.optim.safetensors" <<'PY' || fail "the weights and optimizer files"
import json, struct, sys
def header(p):
    b = open(p, "rb").read()
    return json.loads(b[8:8 + struct.unpack("<Q", b[:8])[0]])
w, o = header(sys.argv[1]), header(sys.argv[2])
assert w["__metadata__"]["format"] == "pt" and w["__metadata__"]["sharebench.content"] == "weights"
assert not any(k.startswith("optim") or k.endswith(".exp_avg") for k in w)
assert o["__metadata__"]["sharebench.content"] == "optimizer" and o["__metadata__"]["sharebench.optim.step"] == "8"
assert {k[:-len(".exp_avg")] for k in o if k.endswith(".exp_avg")} == {k for k in w if k != "__metadata__"}
PY
"$SB" run --task copy:len=4 $quick --init-from "$dir/w.safetensors" --init-optim "$dir/w.optim.safetensors" || fail "--init-optim"
"$SB" run --task copy:len=4 $quick --init-from "$dir/w.safetensors" --init-optim "$dir/w.safetensors" 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "optimizer state" "$dir/err" || fail "weights given as optimizer state: exit $rc, $(cat "$dir/err")"
echo "e2e_hf: ${#dirs[@]} exports checked, 4 round trips byte-identical, 8 refusals and 3 bad imports refused"
