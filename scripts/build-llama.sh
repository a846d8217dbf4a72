#!/usr/bin/env bash
# Build (once) and install llama-cpp-python without llama.cpp's native/AMX code paths.
# A native build crashes on CPUs with AMX (ggml_backend_amx_mul_mat on the first decode),
# so llmos builds a portable wheel with AVX/AVX2/FMA/F16C/AVX512 and caches it outside
# the repository, where every clone on this machine finds it.
set -euo pipefail
PY="${1:?usage: build-llama.sh PYTHON}"
VERSION="0.3.36"
WHEELHOUSE="${LLMOS_WHEELHOUSE:-$HOME/.cache/llmos/wheels/cpu-noamx}"
ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON"
# where llama_cpp is installed, found without importing it (its imports may not be installed yet)
pkg_dir() { "$PY" -c "import importlib.util as u, os; s = u.find_spec('llama_cpp'); print(os.path.dirname(s.origin) if s else '')" 2>/dev/null; }
ARGS="$ARGS -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF"

if "$PY" -c "import importlib.metadata as m, sys; sys.exit(m.version('llama_cpp_python') != '$VERSION')" 2>/dev/null \
   && [ -f "$(pkg_dir)/.llmos-noamx" ]; then
    exit 0
fi
mkdir -p "$WHEELHOUSE"
wheel=$(ls "$WHEELHOUSE"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ]; then
    echo "build-llama: compiling llama-cpp-python $VERSION without AMX (about 5-10 minutes on 2 cores; once per machine)"
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
dir=$(pkg_dir) && [ -n "$dir" ] && touch "$dir/.llmos-noamx"
echo "build-llama: installed $(basename "$wheel")"
