#!/usr/bin/env bash
# Builds the fuzzers (clang, -fsanitize=fuzzer,address,undefined) in build/fuzz and fuzzes the
# codecs for SECONDS in all (default 60), half each: fuzz_ipcframe (JSON, delimited frames)
# from tests/fuzz/corpus, then fuzz_ipccbor (CBOR, length-prefixed frames) from
# tests/fuzz/corpus-cbor.
#
#   tests/fuzz/run-fuzzer.sh [SECONDS]
#
# The working corpora are build/fuzz/corpus and build/fuzz/corpus-cbor: the seeds are copied in
# and what the fuzzers find stays there for the next run (FUZZ_FRESH=1 starts again from the
# seeds alone). Crashing inputs land in build/fuzz/artifacts/ (fuzz_ipccbor's with a "cbor-"
# prefix); the script then fails. Extra libFuzzer options can be passed in FUZZ_ARGS, e.g.
# FUZZ_ARGS="-jobs=2 -workers=2".
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
for fuzzer in fuzz_ipcframe fuzz_ipccbor; do
    if [ ! -x "$build/$fuzzer" ]; then
        echo "run-fuzzer.sh: $build/$fuzzer was not built (see the CMake output above)" >&2
        exit 1
    fi
done

artifacts="$build/artifacts"
mkdir -p "$artifacts"
failed=0

# fuzz NAME SEEDS DICT ARTIFACT_PREFIX SECONDS: one fuzzer on a copy of its seeds.
fuzz() {
    local name="$1" seeds="$2" dict="$3" prefix="$4" time="$5"
    local corpus
    corpus="$build/$(basename "$seeds")"
    [ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$corpus"
    mkdir -p "$corpus"
    cp "$seeds"/* "$corpus"/
    local marker="$probe/started-$name"
    touch "$marker"
    local log
    log="$build/$name-$(date +%Y%m%d-%H%M%S).log"

    echo "run-fuzzer.sh: $name for ${time}s, corpus $corpus ($(find "$corpus" -type f | wc -l) inputs), log $log"
    local status=0
    # shellcheck disable=SC2086  # FUZZ_ARGS is a list of options
    ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:allocator_may_return_null=1}" \
    UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
        "$build/$name" "$corpus" \
            -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
            -dict="$dict" -artifact_prefix="$artifacts/$prefix" -print_final_stats=1 \
            ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?

    local new_artifacts
    new_artifacts="$(find "$artifacts" -type f -newer "$marker" -name "$prefix*" | wc -l)"

    echo "---- $name summary ----"
    grep -E '^INFO: (Loaded|seed corpus)|INITED|DONE' "$log" || true
    grep -E '^stat::' "$log" || true
    echo "corpus now: $(find "$corpus" -type f | wc -l) inputs"

    if [ "$status" -ne 0 ] || [ "$new_artifacts" -gt 0 ]; then
        echo "---- $name found a problem (exit status $status) ----"
        grep -E "$name:|ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -40 || true
        echo "new artifacts: $(find "$artifacts" -type f -newer "$marker" -name "$prefix*" | tr '\n' ' '); full log: $log"
        failed=1
    else
        echo "run-fuzzer.sh: $name: no crash in ${time}s"
    fi
}

# The time budget, shared: the JSON fuzzer's half first (rounded up), at least 1 s each.
json_seconds=$(((seconds + 1) / 2))
cbor_seconds=$((seconds - json_seconds))
[ "$cbor_seconds" -ge 1 ] || cbor_seconds=1
fuzz fuzz_ipcframe "$here/corpus" "$here/json.dict" "" "$json_seconds"
fuzz fuzz_ipccbor "$here/corpus-cbor" "$here/cbor.dict" "cbor-" "$cbor_seconds"

exit "$failed"
