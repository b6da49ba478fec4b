#!/bin/bash
# sweep-rate.sh: sweep throughput (issue 18): cells per hour of a sweep run
# with --jobs equal to the cores and one thread per cell, against the same
# sweep loop in PyTorch (bench/peers/torch_sweep.py: as many worker processes
# of one thread each), side by side in one run. Not part of `make test`.
#
# The cells: task lm (vocabulary 53, 64 positions), width 128, 4 layers, 4
# heads, feed-forward 512, batch 32 (the S1 shape of `sharebench bench`),
# STEPS steps, sharing none and all in turn, CELLS cells (default twice the
# cores). The engine's cells also validate once, score the test split, time
# inference and store the run, which the PyTorch loop does not: the
# comparison favours PyTorch.
#
# Usage: bench/sweep-rate.sh [REPEATS]   (SB, PYTHON, JOBS, CELLS, STEPS, OUT
# to change what it runs; default 3 repeats, alternating). Prints each
# repeat and the medians as "sweep-rate: ...".
set -u
cd "$(dirname "$0")/.."
SB=${SB:-build/release/sharebench}
PYTHON=${PYTHON:-${SB_PYTHON:-/usr/bin/python3}}
JOBS=${JOBS:-$(nproc)}
CELLS=${CELLS:-$((2 * JOBS))}
STEPS=${STEPS:-100}
REPEATS=${1:-3}
OUT=${OUT:-build/sweep-rate}
mkdir -p "$OUT"
seeds=$(seq -s ' ' 1 $(( (CELLS + 1) / 2 )))
cat >"$OUT/rate.ini" <<INI
[sweep]
name = sweep-rate
[run]
task = lm
steps = $STEPS
batch = 32
eval_every = $STEPS
eval_examples = 256
test_examples = 256
analysis = 0
seed = $seeds
[model]
width = 128
layers = 4
heads = 4
ffn = 512
sharing = none all
INI
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
: >"$OUT/engine.txt"
: >"$OUT/torch.txt"
for r in $(seq 1 "$REPEATS"); do
  rm -f "$OUT/rate.db" "$OUT"/rate.db-*
  t0=$(date +%s.%N)
  "$SB" sweep "$OUT/rate.ini" --db "$OUT/rate.db" --jobs "$JOBS" --threads 1 --quiet >/dev/null || exit 1
  t1=$(date +%s.%N)
  n=$(sqlite3 "$OUT/rate.db" "SELECT COUNT(*) FROM runs WHERE status = 'finished'")
  e=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", 3600 * n / (b - a) }')
  echo "$e" >>"$OUT/engine.txt"
  p=$("$PYTHON" bench/peers/torch_sweep.py --cells "$n" --jobs "$JOBS" --steps "$STEPS" --eval 256) || exit 1
  echo "$p" >"$OUT/torch-$r.json"
  t=$("$PYTHON" -c 'import json, sys; print("%.1f" % json.loads(sys.argv[1])["cells_per_hour"])' "$p")
  echo "$t" >>"$OUT/torch.txt"
  echo "sweep-rate: repeat $r: $n cells, $JOBS jobs of 1 thread: sharebench $e cells/hour, PyTorch $t cells/hour"
done
e=$(median <"$OUT/engine.txt")
t=$(median <"$OUT/torch.txt")
v=$("$PYTHON" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["torch"], d["attention"], d["optimizer"])' "$OUT/torch-1.json")
echo "sweep-rate: medians of $REPEATS: sharebench $e cells/hour, PyTorch $t cells/hour ($v): $(awk -v a="$e" -v b="$t" 'BEGIN { printf "%.2fx", a / b }')"
