#!/usr/bin/env bash
# grove's main job, end to end: a sandbox session over the host's root filesystem on the local
# engine. Each run records a new image; a branch keeps one line, a rollback steps back, and the
# history shows both. Everything lives in a temporary GROVE_HOME that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: the local engine mounts overlays, so run this as root (sudo npm run demo)" >&2
	exit 1
fi

GROVE_HOME="$(mktemp -d "${TMPDIR:-/tmp}/grove-demo.XXXXXX")"
export GROVE_HOME
trap 'rm -rf "$GROVE_HOME"' EXIT
export GROVE_SESSION=demo

grove() { node dist/bin/grove.cjs "$@"; }
step() { printf '\n\033[1m$ grove %s\033[0m\n' "$*"; grove "$@"; }

step use host
step run -s 'mkdir -p /project && echo "v1" > /project/version'
step run -s 'echo "built from $(cat /project/version)" > /project/build.log'
step session branch v1-build
step run -s 'echo "v2" > /project/version && rm /project/build.log'
step diff
step cat /project/version
step session rollback
step cat /project/version
step run -s 'echo "v1.1" > /project/version'
step run --timeout 1 -- sleep 5 || true
step run -D -s 'rm -rf /project'
step ls /project
step diff v1-build HEAD
step session branch v2 --from @4
step session show -a
step session branch
printf '\nThe host is untouched: '
if [ -e /project ]; then echo "/project exists on the host (it did before the demo)"; else echo "no /project on the host"; fi
