#!/usr/bin/env bash
# The whole agent at the seed's load (issue 6): the device simulator on a pty (3 ActivePlugs + 2 ActiveDINs = 9
# channels, each notifying every 0.2 s = 45 readings/s), the agent (serial radio, 6LoWPAN, CoAP observe, durable
# outbox, oneM2M over HTTP) and the test CSE as the platform, all on this machine. After a warm-up, prints the agent
# process's CPU in % of one core (from /proc, user + system), the readings it delivered, and the simulator's and
# CSE's CPU for comparison. Unlike bench/proxy.sh this includes the radio, mesh and CoAP layers.
#   bench/agent.sh [--warmup S (90)] [--seconds S (60)] [--report-interval S (0.2)] [--keep (the logs and state)]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WARMUP=90 SECONDS_MEASURED=60 INTERVAL=0.2 KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --warmup) WARMUP=$2; shift 2 ;;
    --seconds) SECONDS_MEASURED=$2; shift 2 ;;
    --report-interval) INTERVAL=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

dotnet build -c Release -v q --nologo "$ROOT/src/ActiveGate.Agent" >/dev/null
dotnet build -c Release -v q --nologo "$ROOT/src/ActiveGate.Simulator" >/dev/null
dotnet build -c Release -v q --nologo "$ROOT/bench/ActiveGate.Proxy.Benchmarks" >/dev/null
AGENT="$ROOT/src/ActiveGate.Agent/bin/Release/net10.0/activegate"
SIM="$ROOT/src/ActiveGate.Simulator/bin/Release/net10.0/activegate-sim"
CSE=(dotnet "$ROOT/bench/ActiveGate.Proxy.Benchmarks/bin/Release/net10.0/ActiveGate.Proxy.Benchmarks.dll" cse)

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  # The agent first (a clean stop, waited for), then the simulator and the CSE.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[$i]}" 2>/dev/null && wait "${PIDS[$i]}" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then echo "logs and state kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# The CSE prints "PORT n" and runs until its stdin closes: keep a pipe open to it.
mkfifo "$WORK/cse.in"
"${CSE[@]}" <"$WORK/cse.in" >"$WORK/cse.out" 2>&1 &
PIDS+=($!); CSE_PID=$!
exec 3>"$WORK/cse.in"
for _ in $(seq 1 100); do grep -q '^PORT ' "$WORK/cse.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(awk '/^PORT / { print $2 }' "$WORK/cse.out")
[ -n "$PORT" ] || { echo "test CSE did not start" >&2; exit 1; }

"$SIM" --link "$WORK/radio.pty" --plugs 3 --dins 2 --report-interval "$INTERVAL" >"$WORK/sim.log" 2>&1 &
PIDS+=($!); SIM_PID=$!
for _ in $(seq 1 100); do [ -e "$WORK/radio.pty" ] && break; sleep 0.1; done

export STATE_DIRECTORY="$WORK/state" RUNTIME_DIRECTORY="$WORK/run"
mkdir -p "$STATE_DIRECTORY" "$RUNTIME_DIRECTORY"
export ACTIVEGATE__Radio__Port="$WORK/radio.pty" ACTIVEGATE__Upstream__Url="http://127.0.0.1:$PORT/"
"$AGENT" run >"$WORK/agent.log" 2>&1 &
PIDS+=($!); AGENT_PID=$!

outbox_field() { "$AGENT" outbox --json 2>/dev/null | sed -n "s/.*\"$1\": *\([0-9.]*\).*/\1/p" | head -1; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

echo "warming up ${WARMUP} s (simulator: 3 plugs + 2 DINs, a notification per channel every ${INTERVAL} s)"
sleep "$WARMUP"
kill -0 "$AGENT_PID" 2>/dev/null || { echo "the agent exited; log:" >&2; tail -20 "$WORK/agent.log" >&2; exit 1; }
d0=$(outbox_field delivered); a0=$(cpu_ticks "$AGENT_PID"); s0=$(cpu_ticks "$SIM_PID"); c0=$(cpu_ticks "$CSE_PID")
t0=$(date +%s.%N)
sleep "$SECONDS_MEASURED"
d1=$(outbox_field delivered); a1=$(cpu_ticks "$AGENT_PID"); s1=$(cpu_ticks "$SIM_PID"); c1=$(cpu_ticks "$CSE_PID")
t1=$(date +%s.%N)
depth=$(outbox_field depth)
awk -v d0="$d0" -v d1="$d1" -v a="$((a1 - a0))" -v s="$((s1 - s0))" -v c="$((c1 - c0))" -v hz="$HZ" -v t0="$t0" -v t1="$t1" -v depth="$depth" 'BEGIN {
  wall = t1 - t0; n = d1 - d0
  printf "agent: %.2f%% of one core at %.1f readings/s delivered (%d readings in %.1f s, %.0f us CPU per reading, outbox depth %s)\n",
    a / hz / wall * 100, n / wall, n, wall, (n > 0 ? a / hz / n * 1e6 : 0), depth
  printf "for comparison: simulator %.2f%%, test CSE %.2f%% of one core\n", s / hz / wall * 100, c / hz / wall * 100 }'
