#!/bin/bash
# valgrind.sh TEST...: each unit test under valgrind's memcheck (make valgrind):
# any invalid read or write, use of an uninitialised value, bad free, or
# memory definitely or indirectly lost fails it. "Possibly lost" and "still
# reachable" blocks are OpenMP's and OpenBLAS's thread pools, kept to the end
# by design. One OpenMP thread (set by make valgrind): valgrind runs threads
# one at a time anyway. Each test's report is build/valgrind/TEST.log, its
# output TEST.log.out.
set -u
mkdir -p build/valgrind
passed=0 failed=0 start=$(date +%s)
for t in "$@"; do
  name=$(basename "$t")
  log=build/valgrind/$name.log
  t0=$(date +%s)
  if valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
       --show-leak-kinds=definite,indirect --track-origins=yes --child-silent-after-fork=no \
       --log-file="$log" "$t" >"$log.out" 2>&1 && [ ! -s "$log" ]; then
    passed=$((passed + 1)); echo "valgrind: $name clean ($(( $(date +%s) - t0 )) s)"
  else
    failed=$((failed + 1)); echo "valgrind: $name: ERRORS (see $log and the test's output $log.out)"
    head -30 "$log"; grep -A3 "ERROR\|FAILED" "$log.out" | head -20
  fi
done
echo "valgrind: $passed clean, $failed with errors, in $(( $(date +%s) - start )) s"
[ "$failed" = 0 ]
