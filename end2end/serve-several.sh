#!/bin/sh
# Starts two storelink servers on one PostgreSQL database (DATABASE_URL; .ci/test runs this
# under pg_virtualenv) with the same key, and a load balancer in front of them on E2E_PORT.
# The same users as serve.sh. Run from end2end/ by playwright.several.config.ts.
set -eu
: "${DATABASE_URL:?two servers share a PostgreSQL database: set DATABASE_URL}"
root=$(cd .. && pwd)
bin=${STORELINK_BIN:-$root/target/debug/storelink}
port=${E2E_PORT:-3200}
STORELINK_SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export STORELINK_SECRET_KEY
printf '%s' 'admin password 123' | "$bin" user add --email admin@example.com --role admin
printf '%s' 'standard password 123' | "$bin" user add --email standard@example.com --role standard
trap 'kill 0' INT TERM EXIT
cd "$root"
for n in 2 3; do
  "$bin" serve --addr "127.0.0.1:$((port + n))" --site-root "${LEPTOS_SITE_ROOT:-target/site}" \
    --data-dir "$(mktemp -d)" --sync-lease-ms 3000 --sync-heartbeat-ms 500 &
done
node end2end/lb.mjs "$port" "127.0.0.1:$((port + 2))" "127.0.0.1:$((port + 3))"
