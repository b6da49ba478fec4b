#!/bin/bash
# End-to-end, under mpirun (skipped, exit 77, without Open MPI or the MPI build):
# data-parallel training over two ranks (`run --dp`) equals single-process
# training on the same global batch: the loss at every step within 1e-5
# relative, the final parameters (checkpoints) within 1e-4 absolute and 1e-5
# in relative norm, while a single process on one rank's half-batch misses
# these tolerances (so they can fail); the bytes each rank sends per step are
# 4 x the unique parameters of `sharebench params`, so `all` against `none`
# is their ratio; the metrics are recorded; a batch that does not split is
# refused (exit 2, nothing written); without mpirun --dp trains as one rank.
set -u
SB=${1:-build/release/sharebench}
source "$(dirname "$0")/mpi_env.sh"
dir=$(mktemp -d /tmp/sb-dp-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail() { echo "e2e_dp: FAIL: $*"; exit 1; }
PY=${PYTHON:-/usr/bin/python3}
checks=0
pass() { checks=$((checks + 1)); }

# Dyck: the sequences score different numbers of positions, so the ranks' shares differ
args=(--task dyck --preset tiny --steps 30 --batch 8 layers=4 eval_examples=32 test_examples=64 analysis=0)
"$SB" run "${args[@]}" --threads 1 --db "$dir/single.db" --save "$dir/single.safetensors" --quiet 2>"$dir/err" ||
  fail "single-process run: $(cat "$dir/err")"
mpi_run 2 "$SB_MPI" run --dp "${args[@]}" --db "$dir/dp.db" --save "$dir/dp.safetensors" 2>"$dir/dp.log" ||
  fail "data-parallel run: $(cat "$dir/dp.log")"
grep -q "data-parallel over 2 ranks: 4 sequences each" "$dir/dp.log" || fail "no data-parallel line: $(head -2 "$dir/dp.log")"
[ "$(sqlite3 "$dir/dp.db" "select count(*) from runs")" = 1 ] || fail "rank 0 alone should store the run"
"$SB" check --db "$dir/dp.db" 2>&1 | grep "not one this sharebench records" && fail "data parallelism stores keys sharebench metrics does not list"
# the control: one rank's half of the batch, trained alone
half=(--task dyck --preset tiny --steps 30 --batch 4 layers=4 eval_examples=32 test_examples=64 analysis=0)
"$SB" run "${half[@]}" --threads 1 --db "$dir/half.db" --save "$dir/half.safetensors" --quiet 2>"$dir/err" || fail "half-batch run: $(cat "$dir/err")"
[ "$(sqlite3 "$dir/dp.db" "select cell from runs")" = "$(sqlite3 "$dir/single.db" "select cell from runs")" ] ||
  fail "the data-parallel run is not the same cell as the single-process one"
pass

# losses per step and final parameters
cat > "$dir/compare.py" <<'PY'
import json, sqlite3, struct, sys
import numpy as np

def losses(db):
    c = sqlite3.connect(db)
    return np.array([v for (v,) in c.execute("select value from series where metric = 'train_loss' order by step")])

def params(path):
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        head = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in head.items():
        if k == "__metadata__" or k.startswith("optim."):
            continue
        s, e = v["data_offsets"]
        out[k] = np.frombuffer(data[s:e], dtype={"F32": np.float32, "F64": np.float64}[v["dtype"]]).astype(np.float64)
    return out

def compare(a, b):
    la, lb = losses(a + ".db"), losses(b + ".db")
    if len(la) != len(lb) or len(la) == 0:
        return None
    loss_rel = float(np.max(np.abs(la - lb) / np.abs(la)))
    pa, pb = params(a + ".safetensors"), params(b + ".safetensors")
    if pa.keys() != pb.keys():
        return None
    va = np.concatenate([pa[k] for k in sorted(pa)])
    vb = np.concatenate([pb[k] for k in sorted(pa)])
    return loss_rel, float(np.max(np.abs(va - vb))), float(np.linalg.norm(va - vb) / np.linalg.norm(va)), len(la), va.size

d = sys.argv[1]
same = compare(d + "/single", d + "/dp")
ctrl = compare(d + "/single", d + "/half")
if same is None:
    sys.exit("e2e_dp: the runs do not have the same steps or tensors")
print("dp against single process: %d steps, loss within %.2e relative; %d parameters within %.2e absolute, %.2e relative norm" % (same[3], same[0], same[4], same[1], same[2]))
print("half batch against single process (control): loss %.2e, parameters %.2e absolute, %.2e relative norm" % (ctrl[0], ctrl[1], ctrl[2]))
ok = same[0] <= 1e-5 and same[1] <= 1e-4 and same[2] <= 1e-5
missed = ctrl[0] > 1e-5 and ctrl[1] > 1e-4 and ctrl[2] > 1e-5
sys.exit(0 if ok and missed else "e2e_dp: FAIL: tolerances (loss 1e-5, parameters 1e-4, norm 1e-5): dp %s, control %s" % (
    "within" if ok else "OUTSIDE", "outside" if missed else "WITHIN"))
PY
"$PY" "$dir/compare.py" "$dir" > "$dir/compare.txt" || fail "$(cat "$dir/compare.txt")"
cat "$dir/compare.txt"
pass

# bytes per step: the unique parameters, so sharing shrinks them by its ratio
# the model the runs built: the task chose its vocabulary and positions
model=$(sqlite3 "$dir/single.db" "select group_concat(key || '=' || value, ' ') from params where key in ('vocab', 'max_len')")
unique() { "$SB" params --preset tiny layers=4 $model sharing="$1" | awk '$1 == "total" { gsub(",", "", $2); print $2; exit }'; }
metric() { sqlite3 "$1" "select value from metrics where key = '$2'" | sed 's/\.0$//'; }
for s in none all; do
  mpi_run 2 "$SB_MPI" run --dp --task dyck --preset tiny --steps 3 --batch 8 layers=4 sharing=$s eval_examples=8 test_examples=8 analysis=0 \
    --db "$dir/$s.db" --quiet 2>"$dir/err" || fail "dp run with sharing $s: $(cat "$dir/err")"
  u=$(unique $s)
  [ -n "$u" ] && [ "$(metric "$dir/$s.db" params_unique)" = "$u" ] || fail "sharing $s: params_unique $(metric "$dir/$s.db" params_unique), sharebench params $u"
  [ "$(metric "$dir/$s.db" dp_grad_bytes_per_step)" = $((4 * u)) ] || fail "sharing $s: $(metric "$dir/$s.db" dp_grad_bytes_per_step) gradient bytes per step, want 4 x $u"
  [ "$(metric "$dir/$s.db" dp_bytes_per_step)" = $((4 * u + 8)) ] || fail "sharing $s: dp_bytes_per_step $(metric "$dir/$s.db" dp_bytes_per_step), want 4 x $u + 8"
  [ "$(metric "$dir/$s.db" dp_ring_bytes_per_step)" = $((4 * u + 8)) ] || fail "sharing $s: ring bytes with 2 ranks should equal the message"
  [ "$(metric "$dir/$s.db" dp_ranks)" = 2 ] || fail "dp_ranks"
  [ "$(sqlite3 "$dir/$s.db" "select count(*) from series where metric = 'dp_comm_ms'")" = 3 ] || fail "dp_comm_ms per step"
  sqlite3 "$dir/$s.db" "select count(*) from metrics where key in ('dp_comm_seconds', 'dp_comm_seconds_min', 'dp_comm_seconds_max') and value >= 0" |
    grep -qx 3 || fail "communication times"
  eval "u_$s=$u"
done
ratio=$(sqlite3 "$dir/all.db" "attach '$dir/none.db' as n; select printf('%.6f', (select value from metrics where key = 'dp_grad_bytes_per_step') /
          (select value from n.metrics where key = 'dp_grad_bytes_per_step'))")
want=$(awk -v a="$u_all" -v n="$u_none" 'BEGIN { printf "%.6f", a / n }')
[ "$ratio" = "$want" ] || fail "bytes all/none $ratio, unique parameters all/none $want"
pass

# bad input, and one rank
mpi_run 2 "$SB_MPI" run --dp --task dyck --preset tiny --steps 3 --batch 7 --db "$dir/bad.db" >/dev/null 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "batch 7 does not split evenly across 2 ranks" "$dir/err" && [ "$(grep -c "batch 7" "$dir/err")" = 1 ] && [ ! -e "$dir/bad.db" ] ||
  fail "batch 7 over 2 ranks: exit $rc, $(cat "$dir/err")"
mpi_run 2 "$SB_MPI" run --task dyck --preset tiny --steps 3 --db "$dir/bad.db" >/dev/null 2>"$dir/err"; rc=$?
[ $rc = 2 ] && grep -q "add --dp" "$dir/err" && [ ! -e "$dir/bad.db" ] || fail "run without --dp under mpirun: exit $rc, $(head -2 "$dir/err")"
"$SB" run --dp --task dyck --preset tiny --steps 3 --batch 8 layers=4 eval_examples=8 test_examples=8 analysis=0 --db "$dir/one.db" --quiet 2>"$dir/err" ||
  fail "--dp without mpirun: $(cat "$dir/err")"
[ "$(metric "$dir/one.db" dp_ranks)" = 1 ] && [ "$(metric "$dir/one.db" dp_ring_bytes_per_step)" = 0 ] || fail "--dp without mpirun should record one rank"
pass

echo "e2e_dp: bytes per step: none $((4 * u_none)), all $((4 * u_all)) (ratio $ratio = unique parameters $u_all / $u_none)"
echo "e2e_dp: $checks passed, 0 failed"
