#!/usr/bin/env bash
# One session on the GPU machine, from the repository root, with the executables tools/bench/pack_gpu.sh packed into
# .gpu/ (tomolive-gpu.tar.gz of bin/ and lib/, unpacked there first): the device (nvidia-smi), the GPU tests,
# tomolive-bench per workload, T6 (full 2048^3 volume from 3000 projections, its HDF5 write and the disk's dd floor),
# a subset of the tests under compute-sanitizer (memcheck, racecheck, synccheck), and the backprojection kernel's SASS
# and resource usage.
# Steps run most important first, each with a timeout, within a session budget (the device tool stops a command at
# 600 s): the figures that have never been measured (T1 decode, T8 sweep, T6 volume, T1 through the daemon for a
# DECTRIS bslz4 stream) before the tests and the workload benchmarks. With several GPUs (nvidia-smi), T9 next: T2, T3
# and T6 on 1, 2, 4, ... GPUs with their scaling ratios (skipped, saying so, on one GPU). Everything goes to $OUT
# (default ./out), in at most 14 files:
#   session.log  devices, tests, sanitizers              gpu_test.xml   test results
#   bench.log    benchmark runs (plans, stage times)      bench-W?.json  figures per workload
#   sass.txt     SASS and registers of the kernels        bench-refilter.json  re-filter times of the first workload
#   bench-T6.json  T6 figures (the volume file and the dd floor file are written to T6_DIR, then removed)
#   decode-T1.json T1: bslz4 decode of W2 frames per thread count, against memcpy
#   sweep-T8.json  T8, T8r, T8-1024-step2: 64-candidate center sweeps of the first workload, pageable and page-locked
#   daemon-ingest-dectris2-W2.json  T1-bslz4: 8 tomolive-sim processes as the 8 PUSH sockets of a DECTRIS Stream V2
#                  detector (bslz4 W2 frames) -> tomolived --data-connect, three runs, the median's figures
#                  (daemon_bench.py; its daemon log in bench.log)
#   scaling-T9.json, scaling-T6.json  T9: T2 and T3 of the first workload, and T6, on 1..N GPUs, with their ratios
# A summary comes last: step exits, test results, sanitizer verdicts, each workload's figure table.
# Environment: SESSION_BUDGET seconds (default 560), STEP_TIMEOUT seconds (default 240), SKIP_SANITIZER=1,
# WORKLOADS (default "W1 W2 W3"), SKIP_T6=1, T6_DIR (default <repo>/.t6-scratch: 8.6 GB written there at a time;
# the host needs 34 GB of page-locked memory for the volume).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${OUT:-$root/out}
mkdir -p "$out"
bin=$root/.gpu/bin
# For the JSON files daemon_bench.py writes.
export TOMOLIVE_DEVICE=${TOMOLIVE_DEVICE:-$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)}
export TOMOLIVE_COMMIT=${TOMOLIVE_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}
budget=${SESSION_BUDGET:-560}
step_timeout=${STEP_TIMEOUT:-240}
workloads=${WORKLOADS:-W1 W2 W3}
log=$out/session.log
: >"$log"
: >"$out/bench.log"
summary=()

if [[ -f $root/.gpu/tomolive-gpu.tar.gz ]]; then
  tar -C "$root/.gpu" -xzf "$root/.gpu/tomolive-gpu.tar.gz"
fi
if [[ ! -x $bin/gpu_test || ! -x $bin/tomolive-bench ]]; then
  echo "gpu_session.sh: no executables in $bin (run tools/bench/pack_gpu.sh first and carry .gpu)" >&2
  exit 2
fi
export LD_LIBRARY_PATH="$root/.gpu/lib:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if ldd "$bin/gpu_test" | grep -q 'libcufft.*not found'; then
  cufft=$(find / -name 'libcufft.so.12*' -not -path '/proc/*' 2>/dev/null | head -1)
  [[ -n $cufft ]] && export LD_LIBRARY_PATH="$(dirname "$cufft"):$LD_LIBRARY_PATH"
fi

# step NAME LOGFILE COMMAND...: runs COMMAND with a timeout (the step's, or what is left of the session budget),
# appends its output to LOGFILE and records its exit status; skipped when less than 20 s are left.
step() {
  local name=$1 file=$2
  shift 2
  local left=$((budget - SECONDS))
  if ((left < 20)); then
    summary+=("$(printf '%-26s skipped (session budget spent)' "$name")")
    return
  fi
  local limit=$((left < step_timeout ? left : step_timeout))
  local start=$SECONDS
  echo "=== $name: $*" >>"$file"
  timeout "$limit" "$@" >>"$file" 2>&1
  local rc=$?
  echo "=== $name: exit $rc after $((SECONDS - start)) s" >>"$file"
  summary+=("$(printf '%-26s exit %3d %5d s' "$name" "$rc" "$((SECONDS - start))")")
}

step nvidia-smi "$log" nvidia-smi
step ldd "$log" ldd "$bin/gpu_test" "$bin/tomolive-bench"
first=${workloads%% *}
step "decode T1" "$out/bench.log" "$bin/tomolive-decode-bench" --seconds 1 --repeats 3 --json "$out/decode-T1.json"
step "sweep T8 $first" "$out/bench.log" "$bin/tomolive-bench" --workload "$first" --sweep-only \
  --json "$out/sweep-T8.json"
if [[ -z ${SKIP_T6:-} ]]; then
  t6_dir=${T6_DIR:-$root/.t6-scratch}
  mkdir -p "$t6_dir"
  step "bench T6" "$out/bench.log" "$bin/tomolive-bench" --volume --t6 --volume-dir "$t6_dir" --json "$out/bench-T6.json"
fi
step "ingest T1 bslz4" "$out/bench.log" python3 tools/bench/daemon_bench.py --bin "$bin" --out "$out" \
  --log "$out/bench.log" --only ingest --format dectris2 --streams 8 --repeat 3 --timeout 200
gpus=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | wc -l)
if ((gpus > 1)); then
  step "scaling T9 $first x$gpus" "$out/bench.log" "$bin/tomolive-bench" --workload "$first" --gpus "$gpus" \
    --json "$out/scaling-T9.json"
  if [[ -z ${SKIP_T6:-} ]]; then
    step "scaling T9 T6 x$gpus" "$out/bench.log" "$bin/tomolive-bench" --volume --t6 --repeats 2 --gpus "$gpus" \
      --volume-dir "$t6_dir" --json "$out/scaling-T6.json"
  fi
else
  echo "=== scaling T9: skipped: nvidia-smi shows $gpus GPU(s); the scaling figures need several" >>"$log"
  summary+=("$(printf '%-26s skipped (%s GPU: T9 needs several)' "scaling T9" "$gpus")")
fi
step gpu_test "$log" "$bin/gpu_test" --gtest_output="xml:$out/gpu_test.xml"
step "bench $first" "$out/bench.log" "$bin/tomolive-bench" --workload "$first" --json "$out/bench-$first.json"
step "refilter $first" "$out/bench.log" "$bin/tomolive-bench" --workload "$first" --refilter --repeats 3 \
  --json "$out/bench-refilter.json"
if [[ -z ${SKIP_SANITIZER:-} ]]; then
  small='CudaEngine.OddShapesMatchCpu:CudaEngine.RejectsBadCalls:CudaEngine.PinnedFramesGiveTheSameSlices'
  small+=':StorePrecisions/CudaVsCpu.SetSlicesMovesEachSliceAlone/*:StorePrecisions/CudaVsCpu.SlidingWindow*'
  small+=':FilterPath.*:StorePrecisions/CudaVsCpu.FilterPathWidths*'
  small+=':StorePrecisions/CudaProcessingVsCpu.ZingersMatchCpu/*:StorePrecisions/CudaProcessingVsCpu.Phase*'
  small+=':StorePrecisions/CudaProcessingVsCpu.RingRemovalMatchesCpu/*:StorePrecisions/CudaProcessingVsCpu.HalfAcq*'
  # The kernels of the tilt, preview, oblique slice, defective pixels, sampled sweeps and slabs (2026-12).
  small+=':*AxisTilt*:*Preview*:*Oblique*:*DefectivePixels*:*SampledSweep*:*CudaSlab*'
  # The batched re-filter (slot tables, frame-stacked steps) and the processing sweep's bands (2026-12).
  small+=':FilterPathRefilter.*:*CudaProcessingSweep*'
  step memcheck "$log" compute-sanitizer --tool memcheck --error-exitcode 99 "$bin/gpu_test" --gtest_filter="$small"
  step racecheck "$log" compute-sanitizer --tool racecheck --error-exitcode 99 "$bin/gpu_test" \
    --gtest_filter='CudaEngine.OddShapesMatchCpu:StorePrecisions/CudaVsCpu.SetSlicesMovesEachSliceAlone/*:FilterPath.Fused*:StorePrecisions/CudaProcessingVsCpu.RingRemovalMatchesCpu/float16:StorePrecisions/CudaProcessingVsCpu.ZingersMatchCpu/float32'
  step synccheck "$log" compute-sanitizer --tool synccheck --error-exitcode 99 "$bin/gpu_test" \
    --gtest_filter='CudaEngine.OddShapesMatchCpu:FilterPath.Fused*'
fi
for w in ${workloads#"$first"}; do
  step "bench $w" "$out/bench.log" "$bin/tomolive-bench" --workload "$w" --json "$out/bench-$w.json"
done
{
  cuobjdump -res-usage "$bin/tomolive-bench" 2>&1 |
    grep -A1 -E 'backproject|preprocess|store_projection|fused_ramp|zinger|paganin|median_across|sinograms'
  cuobjdump -sass "$bin/tomolive-bench" 2>&1 |
    awk '/Function :/ && on {exit} /Function : .*backproject_orthoslices.*StoreF16ELj4/ {on = 1} on {print}'
} >"$out/sass.txt"

echo
echo "==================== summary ===================="
grep -m1 -E 'NVIDIA' "$log"
printf '%s\n' "${summary[@]}"
echo "--- gpu_test"
awk '/=== gpu_test:/{on=1} /=== gpu_test: exit/{on=0} on && /test suites? ran/{tail=1}
     on && tail && /test suites? ran|^\[  (PASSED|FAILED) |FAILED TEST/' "$log" | head -30
echo "--- sanitizers"
grep -E '^========= (ERROR SUMMARY|RACECHECK SUMMARY)|^=== (memcheck|racecheck|synccheck): exit' "$log"
echo "--- benchmark errors"
grep -E '^tomolive-bench: .*(error|failed|no usable|unknown|cannot)' "$out/bench.log"
echo "--- daemon ingest (T1-bslz4)"
grep -E '^(T1-bslz4|RuntimeError)' "$out/bench.log"
echo "--- figures"
awk '/^tomolive-bench  workload/{on=1} on{print} /^figures written/{on=0}' "$out/bench.log"
