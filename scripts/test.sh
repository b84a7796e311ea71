#!/usr/bin/env bash
# The project's test command (README): test peers, static checks, the full
# test suite against real PostgreSQL/Prometheus/Pushgateway/age and kube-sim,
# and the freshness check of dist/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh
[ -x node_modules/.bin/node ] || npm ci

echo "== typecheck"; npm run -s typecheck
echo "== lint";      npm run -s lint
# dist/ first: the end-to-end tests run the committed bundles.
echo "== check-dist"; npm run -s check-dist
echo "== test";      npm run -s test
