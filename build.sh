#!/usr/bin/env bash
# ActiveGate developer entry point. Run `./build.sh help` for the subcommands.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

CONFIGURATION="${CONFIGURATION:-Release}"
ARTIFACTS="$PWD/artifacts"
RUN_DIR="$PWD/.run"
AGENT_BIN="src/ActiveGate.Agent/bin/$CONFIGURATION/net10.0/activegate"
SIM_BIN="src/ActiveGate.Simulator/bin/$CONFIGURATION/net10.0/activegate-sim"
# Debian packages the tests talk to as real peers (libcoap, Wireshark's dissectors, pty pairs, systemd-analyze).
TEST_PACKAGES=(libcoap3-bin tshark socat systemd iproute2)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<'USAGE'
Usage: ./build.sh <command> [args]

  setup            install what a fresh Debian machine needs for the tests (apt-get, as root)
  build            build everything (warnings are errors)
  test [FILTER]    set up, build and run all tests; prints "N passed, N failed"
  run [ARGS]       build and run the agent's main job: the agent with the device simulator
                   (simulated radio board on a pseudo-terminal) unless Radio:Port names real hardware
  publish          self-contained linux-x64 and linux-arm64 builds, framework-dependent linux-arm
  package          build the .deb packages from the published builds
  bench AREA       run a benchmark: coap | lowpan | rpl | proxy | agent | lwm2m | hotswap
  help             this text
USAGE
}

require_dotnet() {
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is missing: install it (https://dot.net), then run this again"
}

missing_packages() {
  local p missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

ensure_packages() {
  local missing
  missing="$(missing_packages "$@")"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: $missing. Run: sudo apt-get update && sudo apt-get install -y $missing"
  fi
  say "installing $missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

cmd_setup() {
  require_dotnet
  ensure_packages "${TEST_PACKAGES[@]}"
  say "restoring NuGet packages"
  dotnet restore ActiveGate.sln --nologo -v q
}

cmd_build() {
  require_dotnet
  say "building ($CONFIGURATION)"
  dotnet build ActiveGate.sln -c "$CONFIGURATION" --nologo -v q -clp:NoSummary
}

cmd_test() {
  cmd_setup
  cmd_build
  local results="$ARTIFACTS/test-results"
  rm -rf "$results"
  mkdir -p "$results"
  local filter=()
  [ $# -gt 0 ] && filter=(--filter "$1")
  say "running tests"
  local rc=0
  dotnet test ActiveGate.sln -c "$CONFIGURATION" --no-build --nologo \
    --results-directory "$results" --logger "trx" --logger "console;verbosity=minimal" \
    "${filter[@]}" 2>&1 | tee "$results/console.log" || rc=$?
  # Each test assembly ends with "Passed!  - Failed: F, Passed: P, Skipped: S, Total: T"; add them up.
  local counts
  counts=$(grep -aoE 'Failed: +[0-9]+, Passed: +[0-9]+, Skipped: +[0-9]+' "$results/console.log" \
    | awk -F'[:,]' '{f+=$2; p+=$4; s+=$6} END {printf "%d %d %d", p, f, s}')
  local passed failed skipped
  read -r passed failed skipped <<<"${counts:-0 0 0}"
  local aborted
  aborted=$(grep -ac 'Test Run Aborted' "$results/console.log" || true)
  echo "$passed passed, $failed failed, $skipped skipped"
  if [ "$aborted" -gt 0 ]; then
    die "$aborted test run(s) aborted: see the output above"
  fi
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    die "dotnet test failed (exit $rc) without a failed test: see the output above"
  fi
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

cmd_run() {
  require_dotnet
  cmd_build
  mkdir -p "$RUN_DIR"
  SIM_PID=""
  trap 'if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; fi; true' EXIT
  local args=("$@")
  if [ -x "$SIM_BIN" ] && [ -z "${ACTIVEGATE__Radio__Port:-}" ] && [ ! -e /dev/ttyUSB0 ] && [ ! -e /dev/ttyACM0 ]; then
    # ACTIVEGATE_SIM_ARGS replaces the simulator's mesh (e.g. a multi-hop RPL tree; see README).
    local sim_args=(${ACTIVEGATE_SIM_ARGS:---plugs 3 --dins 2})
    say "no radio board found: starting the device simulator (${sim_args[*]}) on a pseudo-terminal"
    rm -f "$RUN_DIR/radio.pty"
    "$SIM_BIN" --link "$RUN_DIR/radio.pty" "${sim_args[@]}" >"$RUN_DIR/simulator.log" 2>&1 &
    SIM_PID=$!
    for _ in $(seq 1 100); do [ -e "$RUN_DIR/radio.pty" ] && break; sleep 0.1; done
    [ -e "$RUN_DIR/radio.pty" ] || die "the simulator did not start; see $RUN_DIR/simulator.log"
    export ACTIVEGATE__Radio__Port="$RUN_DIR/radio.pty"
  fi
  say "starting the agent; from another terminal: $AGENT_BIN status   (Ctrl+C stops)"
  "$AGENT_BIN" run "${args[@]}"
}

cmd_publish() {
  require_dotnet
  local rid
  for rid in linux-x64 linux-arm64; do
    say "publishing $rid (self-contained)"
    dotnet publish src/ActiveGate.Agent -c Release -r "$rid" --self-contained true \
      -p:PublishSingleFile=false -o "$ARTIFACTS/publish/$rid" --nologo -v q
  done
  # The 32-bit ODROID-U3's runtime pack is not served here: it runs on a Debian-installed .NET runtime.
  say "publishing linux-arm (framework-dependent)"
  dotnet publish src/ActiveGate.Agent -c Release -r linux-arm --self-contained false \
    -o "$ARTIFACTS/publish/linux-arm" --nologo -v q
}

cmd_package() {
  [ -x packaging/build-deb.sh ] || die "packaging/build-deb.sh is missing"
  packaging/build-deb.sh "$@"
}

cmd_bench() {
  local area="${1:-}"
  [ -n "$area" ] || die "usage: ./build.sh bench coap|lowpan|rpl|proxy|agent|lwm2m|hotswap"
  shift
  [ -x "bench/$area.sh" ] || die "no benchmark named '$area' (bench/$area.sh)"
  cmd_setup
  "bench/$area.sh" "$@"
}

main() {
  local command="${1:-help}"
  [ $# -gt 0 ] && shift
  case "$command" in
    setup) cmd_setup ;;
    build) cmd_build ;;
    test) cmd_test "$@" ;;
    run) cmd_run "$@" ;;
    publish) cmd_publish ;;
    package) cmd_package "$@" ;;
    bench) cmd_bench "$@" ;;
    help|-h|--help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
