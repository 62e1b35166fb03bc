#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time: run_target.sh BINARY SEEDS WORK SECONDS [libFuzzer options...]
# Seeds (the committed corpus, never written to) and WORK/corpus (what this checkout has found so far) are the
# inputs; new inputs go to WORK/corpus, a crashing input to WORK/crashes/. Fails when the target crashes or a
# property it checks does not hold: turn the saved input into a regression test beside the code's tests.
set -euo pipefail
binary=$1 seeds=$2 work=$3 seconds=$4
shift 4
mkdir -p "$work/corpus" "$work/crashes"
status=0
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/crashes/" "$@" "$work/corpus" "$seeds" || status=$?
if ((status != 0)); then
  echo "$(basename "$binary"): failed (exit $status); the input is in $work/crashes/" >&2
fi
exit "$status"
