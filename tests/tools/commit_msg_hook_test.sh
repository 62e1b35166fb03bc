#!/usr/bin/env bash
# Checks tools/git-hooks/commit-msg: accepts a short subject with a body, refuses a long subject, a missing body and
# a missing blank line. Usage: commit_msg_hook_test.sh HOOK
set -euo pipefail
hook=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
expect() {  # expect accept|refuse NAME MESSAGE
  printf '%b' "$3" >"$dir/msg"
  if "$hook" "$dir/msg" 2>/dev/null; then got=accept; else got=refuse; fi
  if [[ $got != "$1" ]]; then echo "FAIL $2: expected $1, got $got"; failures=$((failures + 1)); else echo "ok $2"; fi
}
expect accept "subject and body" "Fix the ring pass schedule\n\nThe pass ran one tenth late.\n"
expect accept "comments ignored" "Fix it\n\nBecause.\n# Please enter the commit message\n"
expect accept "merge subject" "Merge branch 'worker'\n"
expect refuse "long subject" "$(printf 'x%.0s' {1..73})\n\nbody\n"
expect accept "72-character subject" "$(printf 'x%.0s' {1..72})\n\nbody\n"
expect refuse "no body" "Fix the ring pass schedule\n"
expect refuse "no blank line" "Fix the ring pass schedule\nThe pass ran late.\n"
expect refuse "empty" "# only a comment\n"
((failures == 0))
