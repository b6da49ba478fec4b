#!/bin/bash
# manpage.sh BIN OUT: the man page sharebench(1), made by help2man from the
# program's own --help and --version, with every command's --help as a section
# of its own and the environment and files described below, so the manual
# cannot drift from the help text. Called by `make install`.
set -euo pipefail
bin=$1 out=$2
inc=$(mktemp)
trap 'rm -f "$inc"' EXIT
# roff: a backslash is \e; a line starting with . or ' is protected by \&
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }
{
  echo "[COMMANDS]"
  "$bin" --help | awk '/^commands:/ {on = 1; next} on && /^$/ {exit} on {print $1}' | while read -r cmd; do
    echo ".SS $cmd"
    echo ".nf"
    "$bin" "$cmd" --help | roff
    echo ".fi"
  done
  cat <<'ROFF'
[ENVIRONMENT]
.TP
.B SHAREBENCH_DATA
A directory laid out as the installed share/sharebench (claims.txt, sweeps/,
suites/, plots/, peers/), used when the data files are neither in the share
directory beside the program (PREFIX/share/sharebench) nor in the checkout it
was built in.
.TP
.B SHAREBENCH_SUITES
A directory of the user's own suite files (NAME.suite), searched before the
shipped suites when a sweep names a suite.
.TP
.B WNSEARCHDIR
Where WordNet's data files are (default /usr/share/wordnet, Debian's
wordnet-base), for the lm, supersense and morph tasks.
.TP
.B OMP_NUM_THREADS, OMP_WAIT_POLICY, GOMP_SPINCOUNT, OPENBLAS_CORETYPE
OpenMP's threads; --threads and --jobs set them per run. Unless the
environment sets them, sharebench runs with OMP_WAIT_POLICY=passive (waiting
threads sleep instead of spinning) and, where OpenBLAS chose kernels below
what the CPU supports, with OPENBLAS_CORETYPE set to the best; what the
environment sets is left alone.
.TP
.B SHAREBENCH_GEMM
Which library makes the matrix products: auto (the default: oneDNN from 2^20
multiply-adds, OpenBLAS below), openblas or onednn. Recorded with every run
(its blas column); any other value exits 2.
.TP
.B TMPDIR
Where scratch checkpoints are written to be measured (default /tmp).
[FILES]
.TP
.I PREFIX/share/sharebench/
The shipped sweeps (sweeps/*.ini, run by name: sharebench sweep smoke), the
claims the report checks (claims.txt), the suites, the gnuplot scripts and the
PyTorch peer of sharebench bench.
.TP
.I results/sharebench.db
The default results database, relative to the current directory (--db FILE).
[SEE ALSO]
The README of the source distribution is the full manual:
sharing modes, tasks, analyses, compression, reports, the gate, clusters.
ROFF
} >"$inc"
help2man --no-info --no-discard-stderr --name "benchmark cross-layer parameter sharing in transformers" \
  --version-string "$("$bin" --version | head -1 | cut -d' ' -f2)" --include "$inc" --output "$out.tmp" "$bin"
mv "$out.tmp" "$out"
