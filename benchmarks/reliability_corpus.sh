#!/bin/sh
# Issue 31 "must show": bn-lint over a folder of real packages (pip download --no-deps, never imported).
# Usage: benchmarks/reliability_corpus.sh CORPUS OUT [STEP...]
# Steps: j1 (--no-cache --jobs 1), cold (fresh cache, --jobs 2), warm2 / warm1 (that cache, warm).
# Each writes OUT/STEP.json (the report), OUT/STEP.err (stderr) and OUT/STEP.time (/usr/bin/time -v).
set -u
corpus=$1; out=$2; shift 2
mkdir -p "$out"
[ $# -gt 0 ] || set -- j1 cold warm2 warm1  # (the default steps, one word each)
for step in "$@"; do
  case $step in
    j1) args="--no-cache --jobs 1";;
    cold) rm -rf "$out/cache"; args="--cache-dir $out/cache --jobs 2";;
    warm2) args="--cache-dir $out/cache --jobs 2";;
    warm1) args="--cache-dir $out/cache --jobs 1";;
  esac
  /usr/bin/time -v -o "$out/$step.time" nice -n 10 python -m bn_lint check --format json $args "$corpus" \
    > "$out/$step.json" 2> "$out/$step.err"
  echo "$step exit=$? $(grep -E 'Elapsed|Maximum resident' "$out/$step.time" | tr -s ' ' | tr '\n' ' ')" >> "$out/summary.txt"
done
