#!/usr/bin/env bash
# IPHC+NHC compress/decompress benchmark of a typical CoAP frame (issue 4).
# Goal: >= 1 M frames/s per core, 0 B allocated per frame. Extra arguments go to BenchmarkDotNet,
# e.g. `bench/lowpan.sh --filter '*Compress*'` or `bench/lowpan.sh --job short`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -eq 0 ]; then
  set -- --filter '*'
fi
exec dotnet run -c Release --project bench/ActiveGate.Lowpan.Benchmarks -- "$@"
