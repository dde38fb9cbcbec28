#!/usr/bin/env bash
# LwM2M client benchmark (issue 7): on loopback, one LwM2M server (ours, on CoapServer) measures
# our client and, with --peer PATH, a peer client (e.g. Wakaama's example lwm2mclient built locally):
#   start-to-registered (process start → Register at the server), Read /3/0 round trip as the
#   server sees it in SenML JSON and TLV (median and p99 over --reads, default 1000), and our
#   client-side Register round trip. Prints the ours/peer ratios (goal ≤ 1.0, start-to-registered ≤ 1 s).
# Usage: bench/lwm2m.sh [--peer PATH] [--reads N] [--json FILE]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dotnet build -c Release "$ROOT/bench/ActiveGate.Lwm2m.Benchmarks" -nologo -v q >/dev/null
exec "$ROOT/bench/ActiveGate.Lwm2m.Benchmarks/bin/Release/net10.0/ActiveGate.Lwm2m.Benchmarks" "$@"
