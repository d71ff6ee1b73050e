#!/bin/bash
# The ctest example_singleinstance: bash test-singleinstance.sh PATH/TO/socketipc-singleinstance
# Launches the program the way a desktop would, several times, and checks who became the
# primary and what reached it. Exit code 0: every check held.

set -u
bin=$(realpath "${1:?usage: test-singleinstance.sh PATH/TO/socketipc-singleinstance}")
work=$(mktemp -d)
cleanup() {
    local pids
    pids=$(jobs -p)
    [ -n "$pids" ] && { kill $pids; wait $pids; } 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# A runtime directory of our own, so that parallel runs never meet.
export XDG_RUNTIME_DIR=$work/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
socket=$XDG_RUNTIME_DIR/test.sock

fail() {
    echo "FAIL: $*"
    for file in "$work"/*.out "$work"/*.err; do
        [ -e "$file" ] && { echo "--- ${file##*/}"; cat "$file"; }
    done
    exit 1
}

# Waits up to 10 s for file $1 to contain the text $2.
wait_for() {
    for _ in $(seq 100); do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# One launch; no launch may hang the test. An array, not a function, so that $! is the pid
# of timeout, which passes the SIGTERM of cleanup on to the program.
launch=(timeout 20 "$bin" --name test)

# SIGKILLs the primary that printed its own launch line in file $1, as a crash would.
crash_primary() {
    local pid
    pid=$(grep -o '"pid":[0-9]*' "$1" | head -n 1 | cut -d: -f2)
    [ -n "$pid" ] || fail "no pid in $1"
    kill -9 "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

echo "== 1. The first launch becomes the primary"
"${launch[@]}" --quit-after 3 first >"$work/a.out" 2>"$work/a.err" &
a=$!
wait_for "$work/a.err" "primary, listening on $socket" || fail "the first launch is not the primary"
grep -qF '"args":["first"]' "$work/a.out" || fail "the primary did not print its own launch"

echo "== 2. A second launch forwards its arguments and working directory, then exits 0"
mkdir "$work/some dir"
(cd "$work/some dir" && "${launch[@]}" open "two words.txt" --line=3) >"$work/b.out" 2>"$work/b.err" \
    || fail "the second launch exited with $?"
grep -qF 'forwarded to the primary' "$work/b.err" || fail "the second launch did not forward"
line=$(grep -F '"args":["open","two words.txt","--line=3"]' "$work/a.out") \
    || fail "the primary did not print the second launch's arguments"
[[ $line == *"\"cwd\":\"$work/some dir\""* ]] || fail "wrong working directory in: $line"

echo "== 3. Two launches at once both reach the primary"
"${launch[@]}" one >"$work/c.out" 2>"$work/c.err" &
c=$!
"${launch[@]}" two >"$work/d.out" 2>"$work/d.err" &
d=$!
wait $c || fail "launch 'one' exited with $?"
wait $d || fail "launch 'two' exited with $?"
grep -qF '"args":["one"]' "$work/a.out" || fail "launch 'one' did not reach the primary"
grep -qF '"args":["two"]' "$work/a.out" || fail "launch 'two' did not reach the primary"
wait $a || fail "the primary (--quit-after 3) exited with $?"
[ -e "$socket" ] && fail "the primary left its socket file behind on a clean exit"

echo "== 4. A primary killed with SIGKILL leaves its socket file; the next launch takes over"
"${launch[@]}" >"$work/e.out" 2>"$work/e.err" &
e=$!
wait_for "$work/e.err" "primary" || fail "launch e is not the primary"
{ crash_primary "$work/e.out"; wait $e; } 2>/dev/null  # no "Killed" notice
[ -S "$socket" ] || fail "expected the killed primary's stale socket file"
"${launch[@]}" --quit-after 1 >"$work/f.out" 2>"$work/f.err" &
f=$!
wait_for "$work/f.err" "primary" || fail "the launch after the crash did not become the primary"
"${launch[@]}" after-crash >"$work/g.out" 2>"$work/g.err" || fail "the launch after that exited with $?"
grep -qF '"args":["after-crash"]' "$work/f.out" || fail "the new primary did not get the launch"
wait $f || fail "the new primary (--quit-after 1) exited with $?"

echo "== 5. Two launches at once on a stale socket file: one primary, one forwards to it"
"${launch[@]}" >"$work/h.out" 2>"$work/h.err" &
h=$!
wait_for "$work/h.err" "primary" || fail "launch h is not the primary"
{ crash_primary "$work/h.out"; wait $h; } 2>/dev/null  # no "Killed" notice
"${launch[@]}" --quit-after 1 race-1 >"$work/r1.out" 2>"$work/r1.err" &
r1=$!
"${launch[@]}" --quit-after 1 race-2 >"$work/r2.out" 2>"$work/r2.err" &
r2=$!
# Two primaries would each wait for a launch that never comes, until timeout kills them.
wait $r1 || fail "launch race-1 exited with $?"
wait $r2 || fail "launch race-2 exited with $?"
primaries=$(cat "$work/r1.err" "$work/r2.err" | grep -c "primary, listening")
[ "$primaries" = 1 ] || fail "$primaries primaries instead of 1"
cat "$work/r1.out" "$work/r2.out" | grep -qF '"args":["race-1"]' || fail "race-1 got lost"
cat "$work/r1.out" "$work/r2.out" | grep -qF '"args":["race-2"]' || fail "race-2 got lost"

echo "== 6. A primary that quits while launches arrive: each launch is handled exactly once"
"${launch[@]}" --quit-after 1 >"$work/p.out" 2>"$work/p.err" &
p=$!
wait_for "$work/p.err" "primary" || fail "launch p is not the primary"
pids=()
for n in 1 2 3; do
    # The first to reach p is its last; the others elect a new primary among themselves.
    "${launch[@]}" --quit-after 1 "late-$n" >"$work/late-$n.out" 2>"$work/late-$n.err" &
    pids+=($!)
done
for pid in $p "${pids[@]}"; do
    wait "$pid" || fail "a launch exited with $?"
done
for n in 1 2 3; do
    count=$(cat "$work/p.out" "$work"/late-*.out | grep -cF "\"args\":[\"late-$n\"]")
    [ "$count" = 1 ] || fail "launch late-$n was handled $count times"
done

echo "All checks passed."
