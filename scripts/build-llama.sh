#!/usr/bin/env bash
# Build (once) and install llama-cpp-python without llama.cpp's native/AMX code paths.
# A native build crashes on CPUs with AMX (ggml_backend_amx_mul_mat on the first decode),
# so llmos builds a wheel with the x86 extensions this CPU really has (AVX, AVX2, FMA, F16C,
# AVX512 where /proc/cpuinfo lists them; never AMX) and caches it outside the repository,
# keyed by that set, where every clone on this machine finds it.  A wheel built for AVX512
# dies with "Illegal instruction" on a CPU without it, so the set is part of the cache key.
set -euo pipefail
PY="${1:?usage: build-llama.sh PYTHON}"
VERSION="0.3.36"
# one CMake switch per extension, ON only where the CPU lists it
has() { grep -qw "$1" /proc/cpuinfo 2>/dev/null; }
onoff() { if has "$1"; then echo ON; else echo OFF; fi; }
TAG="x86$(for f in avx avx2 fma f16c avx512f; do if has "$f"; then printf -- '-%s' "$f"; fi; done)"
WHEELHOUSE="${LLMOS_WHEELHOUSE:-$HOME/.cache/llmos/wheels/cpu-noamx-$TAG}"
ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=$(onoff avx) -DGGML_AVX2=$(onoff avx2) -DGGML_FMA=$(onoff fma)"
ARGS="$ARGS -DGGML_F16C=$(onoff f16c) -DGGML_AVX512=$(onoff avx512f)"
# where llama_cpp is installed, found without importing it (its imports may not be installed yet)
pkg_dir() { "$PY" -c "import importlib.util as u, os; s = u.find_spec('llama_cpp'); print(os.path.dirname(s.origin) if s else '')" 2>/dev/null; }
ARGS="$ARGS -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF"

if "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('llama_cpp_python') != '$VERSION')" 2>/dev/null \
   && [ "$(cat "$(pkg_dir)/.llmos-noamx" 2>/dev/null)" = "$TAG" ]; then
    exit 0
fi
mkdir -p "$WHEELHOUSE"
wheel=$(ls "$WHEELHOUSE"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ]; then
    echo "build-llama: compiling llama-cpp-python $VERSION for $TAG, without AMX (about 5-10 minutes on 2 cores; once per machine)"
    start=$(date +%s)
    CMAKE_ARGS="$ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
        "$PY" -m pip wheel --no-deps --no-cache-dir "llama-cpp-python==$VERSION" -w "$WHEELHOUSE" \
        > "$WHEELHOUSE/build.log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 15
        echo "build-llama: still compiling ($(( $(date +%s) - start )) s; log: $WHEELHOUSE/build.log)"
    done
    wait "$pid" || { echo "build-llama: build failed; see $WHEELHOUSE/build.log" >&2; tail -20 "$WHEELHOUSE/build.log" >&2; exit 1; }
    wheel=$(ls "$WHEELHOUSE"/llama_cpp_python-"$VERSION"-*.whl | head -1)
fi
"$PY" -m pip install -q --no-deps --force-reinstall "$wheel"
dir=$(pkg_dir) && [ -n "$dir" ] && echo "$TAG" > "$dir/.llmos-noamx"
echo "build-llama: installed $(basename "$wheel")"
