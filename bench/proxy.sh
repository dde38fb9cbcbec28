#!/usr/bin/env bash
# End-to-end proxy benchmark: readings → durable outbox (fsync) → oneM2M interworking → HTTP → loopback test CSE
# (a separate process, so the CPU figures are the agent side only).
#   bench/proxy.sh                       throughput (50000 readings) and CPU at 44.5 readings/s (median of 3 rounds of 20 s)
#   bench/proxy.sh throughput readings 50000
#   bench/proxy.sh rate rate 44.5 seconds 60 rounds 5 [window MS] [linger MS] [outbox-only]
#   add "nofsync" to see the cost of durability
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
dotnet build -c Release -v quiet --nologo bench/ActiveGate.Proxy.Benchmarks >/dev/null
exec dotnet bench/ActiveGate.Proxy.Benchmarks/bin/Release/net10.0/ActiveGate.Proxy.Benchmarks.dll "$@"
