#!/usr/bin/env bash
# Runs the public test suite of the iRODS HTTP API (irods/irods_client_http_api, tag 0.7.0,
# test/test_irods_http_api.py, BSD-3-Clause) against the stand-in, and prints pytest's tally.
# The suite is fetched at run time and never copied into this repository. Needs network access,
# git, python3 with requests, jsonschema and pytest; `make test` never runs it.
#
#   scripts/upstream-http-api-suite.sh [--irods-version 5.0.2|4.3.5] [--expose-write-error-codes]
#                                      [--repo DIR_OR_URL] [pytest -k expression]
#
# --repo takes a local clone (or mirror) of irods_client_http_api instead of GitHub, for machines
# without network access; the tag is checked out from it either way.
#
# The default selection is the endpoints the stand-in reproduces: collections, data objects,
# resources, query (GenQuery1; GenQuery2 tests stay off), users/groups and information.
# README.md in test/standins/irods-http-api records the last tally and why each failure cannot pass.
set -euo pipefail

TAG=0.7.0
PORT=${STANDIN_PORT:-19480}
VERSION=5.0.2
EXPOSE=0
SELECTION='collections or data_objects or resources or query or users_groups or information'
REPO=https://github.com/irods/irods_client_http_api.git
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) REPO=$2; shift 2 ;;
    --irods-version) VERSION=$2; shift 2 ;;
    --expose-write-error-codes) EXPOSE=1; shift ;;
    *) SELECTION=$1; shift ;;
  esac
done

here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/upstream-http-api-suite-XXXXXX)
cleanup() {
  # The stand-in runs in its own process group (setsid): end the group it leads, nothing else.
  if [ -n "${standin_pid:-}" ]; then kill -- -"$standin_pid" 2>/dev/null || true; wait "$standin_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/api"
git --git-dir="$(git -C "$REPO" rev-parse --absolute-git-dir 2>/dev/null || echo "$REPO")" archive "$TAG" test 2>/dev/null | tar -x -C "$work/api" \
  || git clone --quiet --depth 1 --branch "$TAG" "$REPO" "$work/api"
suite="$work/api/test"
# Point the suite's own configuration at the stand-in (host, port, versioned base, no GenQuery2).
sed -i \
  -e "s/'port': 9000/'port': $PORT/" \
  -e "s#'url_base': '/irods-http-api/<version>'#'url_base': '/irods-http-api/$TAG'#" \
  -e "s/'run_genquery2_tests': True/'run_genquery2_tests': False/" \
  "$suite/config.py"
if [ "$EXPOSE" = 1 ]; then
  sed -i "s/'dstream_exposes_irods_error_codes': False/'dstream_exposes_irods_error_codes': True/" "$suite/config.py"
  expose_flag=--expose-write-error-codes
else
  expose_flag=
fi

(cd "$here" && exec setsid "$here/node_modules/.bin/tsx" test/standins/irods-http-api/main.ts --port "$PORT" --vault "$work/vault" \
  --irods-version "$VERSION" $expose_flag) >"$work/standin.log" 2>&1 &
standin_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/irods-http-api/$TAG/info" >/dev/null 2>&1 && break
  sleep 0.2
done

cd "$suite"
python3 -m pytest -q -rfEs -p no:cacheprovider test_irods_http_api.py -k "$SELECTION" || true
