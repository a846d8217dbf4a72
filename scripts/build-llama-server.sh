#!/usr/bin/env bash
# Build (once) llama.cpp's own `llama-server` from the llama.cpp vendored in the pinned llama-cpp-python
# source distribution: the same llama.cpp commit as the engine llmos embeds, built without the
# native/AMX code paths like scripts/build-llama.sh.  The benchmark of agent programs runs it as the
# plain-server baseline.  Cached outside the repository; prints the path of the binary last.
set -euo pipefail
PY="${1:?usage: build-llama-server.sh PYTHON}"
VERSION="0.3.36"
ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
ARGS="$ARGS -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF"
# AVX512 code only where the CPU has it: a binary with it dies with SIGILL on a CPU without it
if grep -q avx512f /proc/cpuinfo 2>/dev/null; then FLAVOR="noamx-avx512"; ARGS="$ARGS -DGGML_AVX512=ON"
else FLAVOR="noamx-avx2"; ARGS="$ARGS -DGGML_AVX512=OFF"; fi
CACHE="${LLMOS_SERVER_CACHE:-$HOME/.cache/llmos/llama-server/$VERSION-$FLAVOR}"
BIN="$CACHE/bin/llama-server"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
mkdir -p "$(dirname "$CACHE")"
exec 9>"$CACHE.lock"  # one build at a time: a second caller waits for the first and uses its binary
flock 9
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
command -v cmake >/dev/null || { echo "build-llama-server: cmake is needed (apt-get install cmake)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "build-llama-server: fetching the llama-cpp-python $VERSION source distribution" >&2
"$PY" -m pip download -q --no-binary llama-cpp-python --no-deps -d "$work" "llama-cpp-python==$VERSION" >&2
tar -xzf "$work"/llama_cpp_python-"$VERSION".tar.gz -C "$work"
src="$work/llama_cpp_python-$VERSION/vendor/llama.cpp"
[ -f "$src/CMakeLists.txt" ] || { echo "build-llama-server: no vendor/llama.cpp in the sdist" >&2; exit 1; }
echo "build-llama-server: compiling llama-server ($FLAVOR; several minutes on 2 cores; once per machine)" >&2
mkdir -p "$CACHE"
# shellcheck disable=SC2086 - ARGS is a list of flags
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON \
    -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON -DCMAKE_INSTALL_RPATH='$ORIGIN/../lib' $ARGS > "$CACHE/build.log" 2>&1 \
    || { tail -20 "$CACHE/build.log" >&2; exit 1; }
cmake --build "$work/build" --target llama-server -j "$(nproc)" >> "$CACHE/build.log" 2>&1 \
    || { echo "build-llama-server: build failed; see $CACHE/build.log" >&2; tail -20 "$CACHE/build.log" >&2; exit 1; }
mkdir -p "$CACHE/bin" "$CACHE/lib"
cp "$work/build/bin/llama-server" "$CACHE/bin/.llama-server.tmp"
find "$work/build" -name 'lib*.so*' -exec cp -P {} "$CACHE/lib/" \;
mv "$CACHE/bin/.llama-server.tmp" "$BIN"
echo "$BIN"
