#!/bin/sh
# Starts storelink for the end-to-end tests: a fresh database with one administrator and one
# standard user whose passwords the specs know, two more organizations (one without
# e-commerce), each with its administrator, and an operator. Run from end2end/ by Playwright.
set -eu
root=$(cd .. && pwd)
bin=${STORELINK_BIN:-$root/target/debug/storelink}
data=$(mktemp -d)
export STORELINK_DATA_DIR="$data"
printf '%s' 'admin password 123' | "$bin" user add --email admin@example.com --role admin
printf '%s' 'standard password 123' | "$bin" user add --email standard@example.com --role standard
# A second company with e-commerce, and a third the operator has not set up yet, each with its
# administrator.
"$bin" org create --name "Second Company"
printf '%s' 'second password 123' | "$bin" user add --org "Second Company" --email second@example.com --role admin
"$bin" org create --name "Other Company" --disabled
printf '%s' 'other password 123' | "$bin" user add --org "Other Company" --email other@example.com --role admin
printf '%s' 'operator password 123' | "$bin" operator add --email operator@example.com
cd "$root"
exec "$bin" serve --addr "127.0.0.1:${E2E_PORT:-3100}" --site-root "${LEPTOS_SITE_ROOT:-target/site}"
