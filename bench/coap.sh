#!/usr/bin/env bash
# CoAP benchmarks (issue 3):
#   1. BenchmarkDotNet on the codec: ns/op and bytes allocated for a typical GET and a 2.05 with 64-byte payload.
#   2. Load comparison: the same load generator (ours: many outstanding CON GETs on loopback) against
#      our CoapServer and against libcoap's coap-server-notls, same resource path and payload, same run.
#      Prints requests/s for each and the ratio (goal: ours >= 1.5 x libcoap).
# Environment: COAP_BENCH_SECONDS (5), COAP_BENCH_ROUNDS (3), COAP_BENCH_CONCURRENCY (64), COAP_BENCH_ENDPOINTS (4), COAP_BENCH_CLIENT (raw|stack),
#   COAP_BENCH_PAYLOAD (16 bytes), COAP_BENCH_SKIP_CODEC=1 to run only the load comparison,
#   COAP_BENCH_OURS_CMD to serve with another command (e.g. "activegate coap serve --port {port}");
#   it must serve GET /bench with the payload or accept a PUT of it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_SECONDS=${COAP_BENCH_SECONDS:-5}
CONCURRENCY=${COAP_BENCH_CONCURRENCY:-64}
ENDPOINTS=${COAP_BENCH_ENDPOINTS:-4}
PAYLOAD=${COAP_BENCH_PAYLOAD:-0123456789abcdef}
ROUNDS=${COAP_BENCH_ROUNDS:-3}

command -v coap-server-notls >/dev/null || { echo "coap-server-notls not found (apt-get install libcoap3-bin)" >&2; exit 1; }

dotnet build -c Release "$ROOT/bench/ActiveGate.Coap.Benchmarks" -nologo -v q >/dev/null
BENCH=(dotnet "$ROOT/bench/ActiveGate.Coap.Benchmarks/bin/Release/net10.0/ActiveGate.Coap.Benchmarks.dll")

PIDS=()
cleanup() { for pid in "${PIDS[@]:-}"; do [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

if [[ "${COAP_BENCH_SKIP_CODEC:-0}" != 1 ]]; then
  echo "== Codec (BenchmarkDotNet, short job) =="
  (cd "$ROOT" && "${BENCH[@]}" codec --filter '*CodecBenchmarks*' '*ServerPipelineBenchmarks*' --job short) \
    | sed -n '/^| *Method/,/^$/p'
fi

payload_file=$(mktemp)
printf '%s' "$PAYLOAD" > "$payload_file"

wait_for() { # uri
  for _ in $(seq 1 50); do
    coap-client-notls -B 1 -m get "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server at $1 did not come up" >&2; return 1
}

CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

load() { # uri server-pid -> prints "requests/s cpu-microseconds-per-request" (details on stderr)
  local before after output
  before=$(cpu_ticks "$2")
  output=$("${BENCH[@]}" load --uri "$1" --seconds "$RUN_SECONDS" --concurrency "$CONCURRENCY" --endpoints "$ENDPOINTS" \
    --client "${COAP_BENCH_CLIENT:-raw}" --warmup 0)
  after=$(cpu_ticks "$2")
  echo "$output" >&2
  echo "$output" | awk -v t=$((after - before)) -v hz="$CLK_TCK" '
    /completed=/ { match($0, /completed=[0-9]+/); n = substr($0, RSTART + 10, RLENGTH - 10) }
    /^requests\/s:/ { rate = $2 }
    END { printf "%d %.1f\n", rate, (n > 0 ? t * 1000000 / hz / n : 0) }'
}

echo "== Load (median of $ROUNDS alternating rounds, $RUN_SECONDS s each) =="
ours_port=$("${BENCH[@]}" free-port)
if [[ -n "${COAP_BENCH_OURS_CMD:-}" ]]; then
  ${COAP_BENCH_OURS_CMD//\{port\}/$ours_port} >/dev/null 2>&1 &
else
  "${BENCH[@]}" serve --port "$ours_port" --payload "$PAYLOAD" --receive-loops "${COAP_BENCH_RECEIVE_LOOPS:-1}" >/dev/null 2>&1 &
fi
PIDS+=($!)
libcoap_port=$("${BENCH[@]}" free-port)
coap-server-notls -A 127.0.0.1 -p "$libcoap_port" -d 10 >/dev/null 2>&1 &
PIDS+=($!)
wait_for "coap://127.0.0.1:$libcoap_port/time"
wait_for "coap://127.0.0.1:$ours_port/bench"
# Same resource path and payload on both servers.
coap-client-notls -m put -f "$payload_file" "coap://127.0.0.1:$ours_port/bench" >/dev/null 2>&1 || true
coap-client-notls -m put -f "$payload_file" "coap://127.0.0.1:$libcoap_port/bench" >/dev/null
rm -f "$payload_file"

ours_pid=${PIDS[0]}
libcoap_pid=${PIDS[1]}
# Warm-up (JIT, caches) outside the measurement.
"${BENCH[@]}" load --uri "coap://127.0.0.1:$ours_port/bench" --seconds 1 --warmup 0 >/dev/null
"${BENCH[@]}" load --uri "coap://127.0.0.1:$libcoap_port/bench" --seconds 1 --warmup 0 >/dev/null

ours_runs=(); libcoap_runs=(); ours_cpu=(); libcoap_cpu=()
for round in $(seq 1 "$ROUNDS"); do
  echo "-- round $round: ActiveGate CoapServer" >&2
  read -r rate cpu < <(load "coap://127.0.0.1:$ours_port/bench" "$ours_pid")
  ours_runs+=("$rate"); ours_cpu+=("$cpu")
  echo "-- round $round: libcoap coap-server-notls" >&2
  read -r rate cpu < <(load "coap://127.0.0.1:$libcoap_port/bench" "$libcoap_pid")
  libcoap_runs+=("$rate"); libcoap_cpu+=("$cpu")
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ours=$(median "${ours_runs[@]}")
libcoap=$(median "${libcoap_runs[@]}")

echo "== Result =="
echo "ours runs (req/s): ${ours_runs[*]}   server CPU us/request: ${ours_cpu[*]}"
echo "libcoap runs (req/s): ${libcoap_runs[*]}   server CPU us/request: ${libcoap_cpu[*]}"
awk -v o="$ours" -v l="$libcoap" -v oc="$(median "${ours_cpu[@]}")" -v lc="$(median "${libcoap_cpu[@]}")" 'BEGIN {
  printf "ours: %d req/s (%.1f us CPU/request)\nlibcoap: %d req/s (%.1f us CPU/request)\nratio: %.2f (goal >= 1.50)\n", o, oc, l, lc, o / l }'
