#!/bin/bash
# make_corpus.sh: (re)make the fuzz targets' seed corpus, tests/fuzz/corpus/NAME/,
# from the project's own files, Debian's WordNet and a tiny sweep run with the
# sharebench given (default build/release/sharebench); a packed run and the
# memory files written out by Python (their layouts: bench/results/runpack.c
# and bench/run/memcheck.c). Every seed is a valid file: tests/test_fuzz_replay.c
# checks that each is accepted.
set -euo pipefail
SB=${1:-build/release/sharebench}
C=tests/fuzz/corpus
WN=${WNSEARCHDIR:-/usr/share/wordnet}
tmp=$(mktemp -d /tmp/sb-corpus-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# the first-format checkpoints (tiny-none, tiny-cycle: no longer written, still read) are kept
cp "$C"/safetensors/tiny-none.safetensors "$C"/safetensors/tiny-cycle.safetensors "$tmp/"
rm -rf "$C"
mkdir -p "$C"/{config,suite,safetensors,baseline,database,wn_data,wn_index,wn_lexnames,claims,runpack,meminfo}
cp "$tmp"/tiny-none.safetensors "$tmp"/tiny-cycle.safetensors "$C/safetensors/"

# sweep and run files: the shipped sweeps (not untie-finetune: it needs a
# checkpoint made first) and a run file with every section
cp bench/sweeps/smoke.ini bench/sweeps/albert-ablation.ini bench/sweeps/takase.ini "$C/config/"
cat > "$C/config/run.ini" <<'INI'
# a run file: one value per key
[sweep]
name = one
[run]
task = copy:len=6
steps = 10
batch = 4
lr = 0.002
seed = 7
analysis = 0
[model]
preset = tiny
layers = 3
sharing = map:0,1,0
pos = rope
INI
cat > "$C/config/continued.ini" <<'INI'
; a grid whose lists continue on indented lines, with a suite
[run]
suite = smoke
seed = 1 2
    3 4
[model]
preset = tiny
sharing = none all
    cycle:2
INI
cp suites/*.suite "$C/suite/"
cp bench/claims.txt "$C/claims/"

# WordNet: the license header and the first records of each file (a data
# file's first lines keep their byte offsets), and a lexnames file as
# lexnames(5WN) describes it (Debian ships none)
for pos in noun verb adj adv; do
  head -n 40 "$WN/data.$pos" > "$C/wn_data/data.$pos"
  head -n 60 "$WN/index.$pos" > "$C/wn_index/index.$pos"
done
i=0
for name in adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body \
            noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location \
            noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process \
            noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change \
            verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation \
            verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl; do
  case $name in noun.*) cat=1;; verb.*) cat=2;; adj.*) cat=3;; adv.*) cat=4;; esac
  printf '%02d\t%s\t%d\n' $i "$name" $cat
  i=$((i + 1))
done > "$C/wn_lexnames/lexnames"

# checkpoints, a database and a baseline from a tiny sweep
cat > "$tmp/tiny.ini" <<'INI'
[sweep]
name = tiny
[run]
task = copy:len=4
steps = 2
batch = 2
eval_examples = 4
test_examples = 4
analysis = 0
seed = 1 2
[model]
preset = tiny
width = 8
heads = 2
ffn = 16
layers = 2
sharing = none all
INI
"$SB" sweep "$tmp/tiny.ini" --db "$tmp/r.db" 2>/dev/null
sqlite3 "$tmp/r.db" "PRAGMA journal_mode = DELETE; PRAGMA page_size = 512; VACUUM;" >/dev/null
cp "$tmp/r.db" "$C/database/tiny.db"
"$SB" baseline --db "$tmp/r.db" --sweep tiny -o "$C/baseline/tiny.csv" 2>/dev/null
# this format: weights, an optimizer state file, a compressed (sparse and int8) checkpoint
for sharing in none cycle:2+lowrank:2; do
  "$SB" run --task copy --preset tiny --steps 2 --batch 2 --no-store --quiet analysis=0 knobs=len=4 width=8 heads=2 \
    ffn=16 layers=2 sharing=$sharing --save "$C/safetensors/v2-${sharing%%:*}.safetensors" \
    --save-optim "$C/safetensors/v2-${sharing%%:*}.optim.safetensors"
done
"$SB" run --task copy --preset tiny --steps 4 --batch 2 --no-store --quiet analysis=0 knobs=len=4 width=8 heads=2 \
  ffn=16 layers=2 sharing=all prune=magnitude sparsity=0.6 quant=int8 --save "$C/safetensors/v2-int8-sparse.safetensors"
# a run packed as a worker sends it to rank 0 (bench/results/runpack.c: sb_run_pack;
# x86-64 byte order), and the memory files of a cgroup v2 and a v1 machine,
# NUL-separated in the order fuzz_meminfo.c lists them
${PYTHON:-python3} - "$C" <<'PY'
import struct, sys
c = sys.argv[1]
def s(x):
    b = x.encode()
    return struct.pack('<I', len(b)) + b
cols = ["cell", "config_hash", "sweep", "task", "sharing", "seed", "status", "error", "diverged_step", "started", "ended",
        "wall_seconds", "code_version", "host", "cpu", "cores", "threads", "blas"]
vals = {"cell": "0123456789abcdef", "config_hash": "fedcba9876543210", "sweep": "tiny", "task": "copy", "sharing": "cycle:2",
        "seed": "1", "status": "finished", "started": "2026-01-01T00:00:00Z", "ended": "2026-01-01T00:00:05Z",
        "wall_seconds": "5.5", "host": "node1", "cores": "2", "threads": "1"}
out = b'sbrun01\n' + struct.pack('<I', len(cols))
for k in cols:
    out += b'\1' + s(vals[k]) if k in vals else b'\0'
params = [("steps", "2"), ("knobs", "len=4"), ("init_from", None)]
out += struct.pack('<I', len(params))
for k, v in params:
    out += s(k) + (b'\1' + s(v) if v is not None else b'\0')
metrics = [("test", 0.5), ("params_unique", 928.0)]
out += struct.pack('<I', len(metrics)) + b''.join(s(k) + struct.pack('<d', v) for k, v in metrics)
names = ["train_loss", "step_ms"]
out += struct.pack('<I', len(names)) + b''.join(s(n) for n in names)
pts = [(0, -1, -1, st, 2.0 / (st + 1)) for st in range(3)] + [(1, -1, -1, st, 1.5) for st in range(3)]
out += struct.pack('<Q', len(pts)) + b''.join(struct.pack('<Iiiqd', *p) for p in pts)
open(c + '/runpack/finished.run', 'wb').write(out)
v2 = [b"MemTotal:       16384000 kB\nMemFree:         1024000 kB\nMemAvailable:    8192000 kB\n", b"0::/user.slice\n",
      b"4294967296\n", b"1073741824\n", b"anon 1000\ninactive_file 536870912\n", b"", b"", b""]
v1 = [b"MemTotal:       16384000 kB\nMemAvailable:    8192000 kB\n", b"12:memory:/docker/abc\n1:name=systemd:/\n",
      b"", b"", b"", b"2147483648\n", b"536870912\n", b"total_inactive_file 104857600\n"]
open(c + '/meminfo/v2', 'wb').write(b'\0'.join(v2))
open(c + '/meminfo/v1', 'wb').write(b'\0'.join(v1))
PY
du -sh "$C"/*
