#!/usr/bin/env bash
# Builds fuzz_ipcframe (clang, -fsanitize=fuzzer,address,undefined) in build/fuzz and fuzzes
# the frame codec for SECONDS (default 60), starting from tests/fuzz/corpus.
#
#   tests/fuzz/run-fuzzer.sh [SECONDS]
#
# The working corpus is build/fuzz/corpus: the seeds are copied in and what the fuzzer finds
# stays there for the next run (FUZZ_FRESH=1 starts again from the seeds alone). Crashing
# inputs land in build/fuzz/artifacts/; the script then fails. Extra libFuzzer options can
# be passed in FUZZ_ARGS, e.g. FUZZ_ARGS="-jobs=2 -workers=2".
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "usage: $0 [SECONDS]" >&2
    exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$root/build/fuzz"
cxx="${CXX_FOR_FUZZING:-clang++}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        echo "run-fuzzer.sh: need root to run: $*" >&2
        exit 1
    fi
}

apt_install() {
    echo "run-fuzzer.sh: installing $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
        || { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive \
                 apt-get install -y --no-install-recommends "$@"; }
}

# clang, and libFuzzer's runtime (Debian ships it in libclang-rt-<major>-dev).
if ! command -v "$cxx" >/dev/null; then
    apt_install clang libclang-rt-14-dev
fi
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
printf '%s\n' '#include <cstddef>' '#include <cstdint>' \
    'extern "C" int LLVMFuzzerTestOneInput(const uint8_t *, size_t) { return 0; }' \
    >"$probe/probe.cpp"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe" 2>/dev/null; then
    major="$("$cxx" -dumpversion | cut -d. -f1)"
    apt_install "libclang-rt-$major-dev"
    "$cxx" -fsanitize=fuzzer,address,undefined "$probe/probe.cpp" -o "$probe/probe"
fi
for tool in cmake python3; do
    command -v "$tool" >/dev/null || apt_install "$tool"
done

# Build: standalone, from tests/fuzz alone.
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "$build" -j1
fuzzer="$build/fuzz_ipcframe"
if [ ! -x "$fuzzer" ]; then
    echo "run-fuzzer.sh: $fuzzer was not built (see the CMake output above)" >&2
    exit 1
fi

# A copy of the seeds to work on.
corpus="$build/corpus"
artifacts="$build/artifacts"
[ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$corpus"
mkdir -p "$corpus" "$artifacts"
cp "$here"/corpus/* "$corpus"/
marker="$probe/started"
touch "$marker"
log="$build/fuzz-$(date +%Y%m%d-%H%M%S).log"

echo "run-fuzzer.sh: fuzzing for ${seconds}s, corpus $corpus ($(find "$corpus" -type f | wc -l) inputs), log $log"
status=0
# shellcheck disable=SC2086  # FUZZ_ARGS is a list of options
ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}" \
UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
    "$fuzzer" "$corpus" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -dict="$here/json.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
        ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?

new_artifacts="$(find "$artifacts" -type f -newer "$marker" | wc -l)"

echo "---- summary ----"
grep -E '^INFO: (Loaded|seed corpus)|INITED|DONE' "$log" || true
grep -E '^stat::' "$log" || true
echo "corpus now: $(find "$corpus" -type f | wc -l) inputs"

if [ "$status" -ne 0 ] || [ "$new_artifacts" -gt 0 ]; then
    echo "---- the fuzzer found a problem (exit status $status) ----"
    grep -E 'fuzz_ipcframe:|ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -40 || true
    echo "new artifacts: $(find "$artifacts" -type f -newer "$marker" | tr '\n' ' '); full log: $log"
    exit 1
fi
echo "run-fuzzer.sh: no crash in ${seconds}s"
