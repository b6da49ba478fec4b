#!/bin/bash
# End-to-end: every command that writes a file it is given (export -o,
# baseline -o, gate --markdown and --json, report --out, run --save) respects
# what is at the path (bench/sys/atomicfile.h):
#   a regular file is replaced whole, keeping its permissions;
#   a symbolic link is written through (the link stays a link);
#   a FIFO or a character device gets the output and stays what it is
#     (/dev/full: "no space", exit 2, the device untouched);
#   a link to nothing, a directory, a file this user may not write: exit 2,
#     nothing changed.
# And the figures' working files of a report: a FIFO in their place is refused,
# never waited on.
set -u
SB=${1:-build/release/sharebench}
dir=$(mktemp -d /tmp/sb-e2e-outputs-XXXXXX)
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
fail() { echo "e2e_outputs: FAIL: $*"; exit 1; }
export OMP_NUM_THREADS=1
n=0

printf '[sweep]\nname = out\n[run]\ntask = copy:len=4\nsteps = 12\nbatch = 2\neval_examples = 4\ntest_examples = 8\nanalysis = 0\nseed = 1 2 3\n[model]\npreset = tiny\nwidth = 8\nheads = 2\nffn = 16\nlayers = 2\nsharing = none all\n' > "$dir/s.ini"
"$SB" sweep "$dir/s.ini" --db "$dir/r.db" --threads 1 2>"$dir/log" || fail "sweep: $(cat "$dir/log")"
"$SB" baseline --db "$dir/r.db" -o "$dir/base.csv" 2>"$dir/log" || fail "baseline: $(cat "$dir/log")"

# each writer: a name and its command with OUT for the path; the first line its output starts with
writers=(
  "export|export --db $dir/r.db -o OUT|id,cell,"
  "export-json|export --db $dir/r.db --format json -o OUT|["
  "baseline|baseline --db $dir/r.db -o OUT|run,kind,key"
  "gate-markdown|gate --baseline $dir/base.csv --db $dir/r.db --metrics test --markdown OUT|# sharebench gate"
  "gate-json|gate --baseline $dir/base.csv --db $dir/r.db --metrics test --json OUT --markdown $dir/g.md|{"
)
run_writer() { # command with OUT replaced by $1; sets rc; stderr in $dir/err
  local cmd=${2//OUT/$1}
  read -ra argv <<<"$cmd"
  timeout 60 "$SB" "${argv[@]}" >/dev/null 2>"$dir/err"
  rc=$?
}
for w in "${writers[@]}"; do
  IFS='|' read -r name cmd head <<<"$w"
  t=$dir/t-$name
  mkdir -p "$t"
  # a regular file: replaced whole, its permissions kept
  echo old > "$t/file"
  chmod 640 "$t/file"
  run_writer "$t/file" "$cmd"
  [ $rc = 0 ] || fail "$name over a file: exit $rc: $(cat "$dir/err")"
  [ "$(head -c ${#head} "$t/file")" = "$head" ] || fail "$name over a file: $(head -c 80 "$t/file")"
  [ "$(stat -c %a "$t/file")" = 640 ] || fail "$name over a file: mode $(stat -c %a "$t/file"), want 640"
  # a symbolic link: written through, the link kept
  echo old > "$t/target"
  ln -s target "$t/link"
  run_writer "$t/link" "$cmd"
  [ $rc = 0 ] || fail "$name through a link: exit $rc: $(cat "$dir/err")"
  [ -L "$t/link" ] || fail "$name: the link was replaced by a file"
  [ "$(head -c ${#head} "$t/target")" = "$head" ] || fail "$name through a link: the target holds $(head -c 80 "$t/target")"
  # a link to nothing: refused, nothing created
  ln -s missing "$t/dangling"
  run_writer "$t/dangling" "$cmd"
  [ $rc = 2 ] || fail "$name through a dangling link: exit $rc, want 2"
  grep -q "does not exist" "$dir/err" || fail "$name through a dangling link: $(cat "$dir/err")"
  [ -L "$t/dangling" ] && [ ! -e "$t/missing" ] || fail "$name through a dangling link: something was created"
  # a FIFO: the output arrives whole, the FIFO stays a FIFO
  mkfifo "$t/fifo"
  cat "$t/fifo" > "$t/from-fifo" &
  reader=$!
  run_writer "$t/fifo" "$cmd"
  wait $reader
  [ $rc = 0 ] || fail "$name into a FIFO: exit $rc: $(cat "$dir/err")"
  [ -p "$t/fifo" ] || fail "$name: the FIFO was replaced"
  cmp -s "$t/from-fifo" "$t/file" || [ "$name" = export-json ] || [ "${name#gate}" != "$name" ] ||
    fail "$name into a FIFO: not the same bytes as into a file"
  [ "$(head -c ${#head} "$t/from-fifo")" = "$head" ] || fail "$name into a FIFO: $(head -c 80 "$t/from-fifo")"
  # a character device of its own (as root: a copy of /dev/null), and /dev/full
  if mknod "$t/null" c 1 3 2>/dev/null; then
    run_writer "$t/null" "$cmd"
    [ $rc = 0 ] || fail "$name into a device: exit $rc: $(cat "$dir/err")"
    [ -c "$t/null" ] || fail "$name: the device was replaced"
    n=$((n + 1))
  fi
  run_writer /dev/full "$cmd"
  [ $rc = 2 ] || fail "$name into /dev/full: exit $rc, want 2"
  grep -q "No space left on device" "$dir/err" || fail "$name into /dev/full: $(cat "$dir/err")"
  [ -c /dev/full ] || fail "$name: /dev/full is no longer a device"
  # a directory: refused
  mkdir "$t/dir"
  run_writer "$t/dir" "$cmd"
  [ $rc = 2 ] && grep -q "a directory" "$dir/err" || fail "$name over a directory: exit $rc: $(cat "$dir/err")"
  # a file this user may not write (its directory writable): refused, unchanged
  if [ "$(id -u)" = 0 ]; then as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups); chmod 777 "$t"; else as_user=(); fi
  echo keep > "$t/ro"
  chmod 444 "$t/ro"
  cmd_ro=${cmd//OUT/$t/ro}
  read -ra argv <<<"$cmd_ro"
  chmod 644 "$dir/r.db" "$dir/base.csv"
  "${as_user[@]}" "$SB" "${argv[@]}" >/dev/null 2>"$dir/err"
  rc=$?
  [ $rc = 2 ] || fail "$name over a read-only file: exit $rc, want 2: $(cat "$dir/err")"
  [ "$(cat "$t/ro")" = keep ] || fail "$name replaced a read-only file"
  n=$((n + 6))
done

# report --out: report.md a link (written through)
mkdir -p "$dir/rep"
echo old > "$dir/rep-md-target"
ln -s ../rep-md-target "$dir/rep/report.md"
timeout 120 "$SB" report --db "$dir/r.db" --out "$dir/rep" 2>"$dir/err" || fail "report: $(cat "$dir/err")"
[ -L "$dir/rep/report.md" ] && grep -q '^# sharebench report' "$dir/rep-md-target" || fail "report: not written through the link"
# a FIFO where a figure's data goes: refused (that figure is not drawn), not waited on
rm -rf "$dir/rep"
mkdir -p "$dir/rep/report-figures"
mkfifo "$dir/rep/report-figures/pareto-copy.dat"
timeout 120 "$SB" report --db "$dir/r.db" --out "$dir/rep" 2>"$dir/err"
rc=$?
[ $rc = 0 ] || fail "report with a FIFO among the figures' files: exit $rc: $(cat "$dir/err")"
[ -p "$dir/rep/report-figures/pareto-copy.dat" ] || fail "report: the FIFO was replaced"
[ ! -e "$dir/rep/report-figures/pareto-copy.png" ] || fail "report: drew the figure whose data could not be written"
n=$((n + 2))

# run --save: refused before training where a checkpoint must not go
for target in /dev/full "$dir/t-export/fifo" "$dir/t-export/dangling" "$dir/t-export/dir" "$dir/nodir/x.safetensors"; do
  "$SB" run --task copy --preset tiny --steps 2 --threads 1 --no-store --quiet analysis=0 knobs=len=4 --save "$target" 2>"$dir/err"
  rc=$?
  [ $rc = 2 ] && grep -q "save=" "$dir/err" || fail "run --save $target: exit $rc: $(cat "$dir/err")"
  n=$((n + 1))
done
[ -c /dev/full ] && [ -p "$dir/t-export/fifo" ] || fail "run --save replaced a device or a FIFO"
# through a link: the checkpoint lands in the file it names
echo old > "$dir/ck.safetensors"
ln -s ck.safetensors "$dir/ck-link"
"$SB" run --task copy --preset tiny --steps 2 --threads 1 --no-store --quiet analysis=0 knobs=len=4 --save "$dir/ck-link" 2>"$dir/err" ||
  fail "run --save through a link: $(cat "$dir/err")"
[ -L "$dir/ck-link" ] && ! grep -qx old "$dir/ck.safetensors" && [ -s "$dir/ck.safetensors" ] || fail "run --save: not written through the link"
n=$((n + 1))

echo "e2e_outputs: $n output targets checked (files, links, dangling links, FIFOs, devices, /dev/full, directories, read-only files; report, run --save)"
echo "e2e_outputs: 1 passed, 0 failed"
