#!/usr/bin/env bash
# Builds gpu_test, tomolive-bench, tomolive-decode-bench and the programs here (Release, sm_90, into build-gpu/) and
# packs them for the GPU machine into the git-ignored .gpu/, as one gzip'd tar of bin/ (stripped executables) and lib/
# (the shared libraries they need that a bare CUDA machine lacks, e.g. libfftw3f, liblz4, libcbor, and HDF5, libtiff
# and their dependencies for the volume writers). Not packed: the C and C++ runtimes, CUDA's libraries and the driver
# (cudart is linked statically; libcufft is in /usr/local/cuda/lib64 there). libstdc++ is packed (the GPU machine's
# may be older than GCC 12's); linking it statically is not an option, as its archive pulls in arc4random (glibc
# 2.36). libtomolive-send.so (tomolive-send, daemon_bench.py's sender) goes to lib/ with the others, as do the libraries
# of tomolive-sim (daemon_bench.py --format dectris2's detector: libzmq, liblz4). gpu_session.sh
# unpacks the tar into .gpu/ there.
# Then, with the device tool: carry [".gpu"], command "bash tools/bench/gpu_session.sh".
# The packed size must stay under 60 MiB (the device tool carries at most 64 MiB with the working tree): unpacked,
# bin/ and lib/ are about 63 MB since HDF5 joined (with libcurl's and libcrypto's dependencies), about 23 MB packed.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-gpu
pack=$root/.gpu

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTOMOLIVE_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DCMAKE_EXE_LINKER_FLAGS= >/dev/null
cmake --build "$build" --target gpu_test tomolive-bench tomolive-decode-bench tomolived tomolive-sim tomolive-send \
  tomolive-ctl -j "$(nproc)"

stage=$build/gpu-pack
rm -rf "$pack" "$stage"
mkdir -p "$pack" "$stage/bin" "$stage/lib"
for exe in tests/gpu/gpu_test tools/bench/tomolive-bench tools/bench/tomolive-decode-bench daemon/tomolived \
  tools/sim/tomolive-sim tools/send/tomolive-send tools/ctl/tomolive-ctl; do
  install -m 755 "$build/$exe" "$stage/bin/"
  strip "$stage/bin/$(basename "$exe")"
done

# Shared libraries as ldd resolves them here, minus the system runtime and CUDA.
for exe in "$stage"/bin/*; do
  ldd "$exe" | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}'
done | sort -u | while read -r name path; do
  case "$name" in
    linux-vdso* | ld-linux* | libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | libgcc_s.so*) continue ;;
    libcuda.so* | libcudart.so* | libcufft.so* | libnvJitLink.so* | libnvrtc.so*) continue ;;
  esac
  cp -L "$path" "$stage/lib/$name"
done

ls -l "$stage/bin" "$stage/lib"
for exe in "$stage"/bin/* "$stage"/lib/*; do
  needs=$(objdump -T "$exe" | grep -o -E '(GLIBC|GLIBCXX)_[0-9.]+' | sort -uV |
    awk -F_ '{v[$1] = $0} END {print v["GLIBC"], v["GLIBCXX"]}')
  echo "$(basename "$exe") needs $needs"
done
tar -C "$stage" -czf "$pack/tomolive-gpu.tar.gz" bin lib
echo "packed into $pack/tomolive-gpu.tar.gz ($(du -sb "$stage" | cut -f1) bytes unpacked)"
bytes=$(du -sb "$pack" | cut -f1)
mib=$((bytes / 1024 / 1024))
echo "total: $mib MiB ($bytes bytes)"
if ((bytes >= 60 * 1024 * 1024)); then
  echo "pack_gpu.sh: $mib MiB is over the 60 MiB budget" >&2
  exit 1
fi
