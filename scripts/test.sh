#!/usr/bin/env bash
# Sets up a fresh machine, builds shrink with its tests, and runs every test with ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
BUILD_DIR=${BUILD_DIR:-$root/build} "$root/scripts/build.sh" -DSHRINK_BUILD_TESTS=ON -DSHRINK_BUILD_EXAMPLES=ON "$@"
cd "${BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "$(nproc)" --timeout 900 ${CTEST_ARGS:-}
