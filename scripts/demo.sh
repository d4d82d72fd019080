#!/usr/bin/env bash
# grove's main job, end to end, on what this checkout provides.
set -euo pipefail
cd "$(dirname "$0")/.."
grove() { node dist/cli/main.js "$@"; }
grove --version
grove --help
