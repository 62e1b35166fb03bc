#!/bin/bash
# Sources tomolive-ctl's bash completion (the file given) in bash and completes a few command lines: the subcommands
# after `tomolive-ctl se`, the slices and options of get-slice, the windows after --window. Fails naming what is
# missing.
set -u
script="$1"
failures=0

# complete WORD... : the completions bash offers for the last word of `tomolive-ctl WORD...`
complete_words() {
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=(tomolive-ctl "$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
    _tomolive_ctl
    printf "%s\n" "${COMPREPLY[@]}"' _ "$script" "$@"
}

# expect "WORDS" OFFERED... : each of OFFERED is among the completions of WORDS; `!WORD` must not be
expect() {
  local words="$1"; shift
  local offered parts
  read -ra parts <<<"$words"
  [[ "$words" == *" " ]] && parts+=("")  # a trailing space: completing a new, empty word
  offered=$(complete_words "${parts[@]}")
  for want in "$@"; do
    if [[ "$want" == !* ]]; then
      if grep -qx -- "${want#!}" <<<"$offered"; then
        echo "FAIL: completing 'tomolive-ctl $words' offers ${want#!}; got: $(tr '\n' ' ' <<<"$offered")"
        failures=$((failures + 1))
      fi
    elif ! grep -qx -- "$want" <<<"$offered"; then
      echo "FAIL: completing 'tomolive-ctl $words' does not offer $want; got: $(tr '\n' ' ' <<<"$offered")"
      failures=$((failures + 1))
    fi
  done
}

expect "se" set-center set-slices set-processing '!status' '!get-slice'
expect "st" status
expect "w" watch
expect "--json s" status set-center sweep-center scan-plan
expect "get-slice " xy xz yz --out
expect "set-center --" --offset --column '!--window'
expect "set-processing --window h" hamming hann '!parzen'
expect "watch --" --interval --count
expect "record " on off
expect "se" set-oblique
expect "sw" sweep-center sweep-processing
expect "get-slice " oblique
expect "center-sample " xy projections --point --box --pixel-size-um
expect "sweep-processing " delta_over_beta ring_size window --values --windows --spacing
expect "sweep-processing window --windows p" parzen '!hann'
expect "sweep-processing ring_size --start 3 --stop 9 --count 3 --spacing " log linear
expect "set-oblique --" --normal --offset --points --hide
expect "def" defective-pixels
expect "--con" --control
expect "status --j" --json

bash --norc --noprofile -c 'source "$1"; complete -p tomolive-ctl' _ "$script" | grep -q "_tomolive_ctl" || {
  echo "FAIL: the script does not register _tomolive_ctl for tomolive-ctl"
  failures=$((failures + 1))
}

if ((failures > 0)); then
  echo "$failures completion check(s) failed"
  exit 1
fi
echo "bash completion: all checks passed"
