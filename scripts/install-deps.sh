#!/usr/bin/env bash
# Installs what the build and the tests need, and nothing when it is all
# there already: Debian packages (apt-get, only for missing ones) and the
# npm workspace (npm ci, only when the lockfile changed).
#
#   scripts/install-deps.sh        everything `make test` uses
#   scripts/install-deps.sh run    what `make run` uses: the server and the demo
#   scripts/install-deps.sh bench  `make test`'s, and gnuplot for the bench's latency plot
set -euo pipefail
cd "$(dirname "$0")/.."

# The server, the wasm core and the demo page.
RUN_PACKAGES=(
  cmake ninja-build g++ ccache pkg-config
  libwebsocketpp-dev libasio-dev rapidjson-dev libssl-dev zlib1g-dev
  libspdlog-dev libcli11-dev prometheus-cpp-dev libcurl4-openssl-dev libsqlite3-dev libsystemd-dev libhiredis-dev
  emscripten node-acorn
)
# The tests on top: GoogleTest, the fuzzers' clang, a browser, the package
# and unit checks, the Python frameworks the backends are tested against.
TEST_PACKAGES=(
  libgtest-dev
  clang-14 libclang-rt-14-dev
  curl chromium redis-server
  dpkg-dev systemd
  python3-fastapi python3-uvicorn python3-flask python3-django python3-tornado
)
BENCH_PACKAGES=(gnuplot-nox)
DEBIAN_PACKAGES=("${RUN_PACKAGES[@]}")
[ "${1:-test}" = run ] || DEBIAN_PACKAGES+=("${TEST_PACKAGES[@]}")
[ "${1:-test}" != bench ] || DEBIAN_PACKAGES+=("${BENCH_PACKAGES[@]}")

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lockfile.
stamp=node_modules/.brolostack-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "install-deps: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
