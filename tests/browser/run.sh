#!/usr/bin/env bash
# Runs the viewer's browser tests (CTest test "browser_viewer", label "browser").
# Exits 77, which CTest reports as skipped, with the reason, when chromium, node or this folder's node_modules is
# missing (tools/setup installs all three). Paths of the built programs come from the environment (see harness.mjs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  echo "SKIP: no browser at $chromium (tools/setup installs Debian's chromium)"
  exit 77
fi
if ! command -v node >/dev/null; then
  echo "SKIP: node is not installed (tools/setup installs it)"
  exit 77
fi
if [[ ! -f $here/node_modules/playwright-core/package.json ]]; then
  echo "SKIP: $here/node_modules has no playwright-core (tools/setup runs npm ci there)"
  exit 77
fi
cd "$here"
exec node --test --test-concurrency=1 --test-reporter=spec viewer_modules.test.mjs viewer.test.mjs center.test.mjs \
  processing.test.mjs volume.test.mjs align_view.test.mjs defects.test.mjs preview.test.mjs
