#!/usr/bin/env bash
# Hot swap of the upstream oneM2M platform (issue: ./build.sh bench hotswap): the agent, the device simulator and two
# test CSEs, each behind a user-space delay proxy (RTT, bandwidth cap). Over the swaps it prints the time from the
# swap's acknowledgement to the first reading accepted by the new platform (median, p99), until the new resource tree
# is complete, requests and round trips per swap, readings in flight, lost and duplicated readings, and writes a
# timeline SVG and a per-swap CSV to artifacts/hotswap/.
#   bench/hotswap.sh [--rtt MS] [--devices N] [--bandwidth MBIT] [--swaps N] [--fresh] [--driver lwm2m|cli|restart] [--binding http|coap] ...
#   bench/hotswap.sh selftest      the delay proxy checked against its settings (~15 s)
#   bench/hotswap.sh --help        all options
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench/ActiveGate.HotSwap.Bench"
dotnet build -c Release -v q --nologo "$BENCH" >/dev/null
RUN=(dotnet "$BENCH/bin/Release/net10.0/ActiveGate.HotSwap.Bench.dll")
case "${1:-}" in
  selftest) exec "${RUN[@]}" selftest ;;
  -h|--help) exec "${RUN[@]}" --help ;;
esac
dotnet build -c Release -v q --nologo "$ROOT/src/ActiveGate.Agent" >/dev/null
dotnet build -c Release -v q --nologo "$ROOT/src/ActiveGate.Simulator" >/dev/null
cd "$ROOT"
exec "${RUN[@]}" run --agent "$ROOT/src/ActiveGate.Agent/bin/Release/net10.0/activegate" \
  --simulator "$ROOT/src/ActiveGate.Simulator/bin/Release/net10.0/activegate-sim" "$@"
