#!/usr/bin/env bash
# Takes the screenshots of the UI examples from their real windows, under a virtual X server,
# with live data: examples/widgets/monitor/screenshot.png (the monitor watching three client
# processes) and examples/qml/dashboard/screenshot.png (the dashboard on its producer).
#
# Usage: examples/take-screenshots.sh BUILD_DIR
# BUILD_DIR is a build of this repository with the examples built. Needs Xvfb (Debian: xvfb).
set -euo pipefail

if (($# != 1)); then
    echo "usage: $0 BUILD_DIR" >&2
    exit 64
fi
build=$(realpath "$1")
examples=$(dirname "$(realpath "$0")")
monitor=$build/examples/widgets/monitor/socketipc-monitor
dashboard=$build/examples/qml/dashboard/socketipc-dashboard
producer=$build/examples/qml/dashboard/socketipc-dashboard-producer
for program in "$monitor" "$dashboard" "$producer"; do
    if [[ ! -x $program ]]; then
        echo "$0: no $program: build the examples first" >&2
        exit 1
    fi
done
if ! command -v Xvfb >/dev/null; then
    echo "$0: Xvfb is missing (Debian: apt-get install xvfb)" >&2
    exit 1
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# A display of our own: Xvfb picks a free number and writes it to descriptor 3.
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
pids+=($!)
for _ in $(seq 100); do
    [[ -s $work/display ]] && break
    sleep 0.1
done
if [[ ! -s $work/display ]]; then
    echo "$0: Xvfb did not start:" >&2
    cat "$work/xvfb.log" >&2
    exit 1
fi
DISPLAY=":$(cat "$work/display")"
export DISPLAY
export QT_QPA_PLATFORM=xcb

# Each program waits until its window shows live data, grabs the window and exits.
echo "monitor: three client processes sending readings"
timeout 60 "$monitor" --screenshot "$examples/widgets/monitor/screenshot.png"

echo "dashboard: the producer publishing this machine's figures, four times a second"
"$producer" --interval 250 "$work/dashboard.sock" >/dev/null &
pids+=($!)
timeout 60 "$dashboard" --screenshot "$examples/qml/dashboard/screenshot.png" "$work/dashboard.sock"
