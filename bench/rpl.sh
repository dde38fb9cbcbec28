#!/usr/bin/env bash
# RPL root benchmark (issue 5): simulated-time convergence of 50 and 200 nodes in both modes, and the
# root's CPU and memory per node. Arguments: node counts (default 50 200).
set -euo pipefail
cd "$(dirname "$0")/.."
exec dotnet run -c Release --project bench/ActiveGate.Rpl.Benchmarks -- "$@"
