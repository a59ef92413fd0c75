#!/usr/bin/env bash
# The dependency-graph checks of issue 17, in scratch applications outside the
# workspace (their own lock files and target directory):
#   1. a PostgreSQL-only app has no libsqlite3-sys in its graph;
#   2. an app pinning libsqlite3-sys 0.38 builds and runs a prefetch.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/.ci/scratch"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR="${SCRATCH_TARGET_DIR:-$work/target}"

mkdir -p "$work/pg_only/src"; echo "" > "$work/pg_only/src/lib.rs"
sed "s|@ROOT@|$root|g" "$here/pg_only.toml" > "$work/pg_only/Cargo.toml"
tree="$(cd "$work/pg_only" && cargo tree -e normal,build --prefix none)"
if grep -q '^libsqlite3-sys' <<<"$tree"; then
  echo "FAIL: a PostgreSQL-only app pulls in libsqlite3-sys:"
  grep '^libsqlite3-sys' <<<"$tree"
  exit 1
fi
echo "ok: the PostgreSQL-only app has no libsqlite3-sys ($(wc -l <<<"$tree") crates in its graph)"

mkdir -p "$work/sqlite_038/src"
sed "s|@ROOT@|$root|g" "$here/sqlite_038.toml" > "$work/sqlite_038/Cargo.toml"
cp "$here/main.rs" "$work/sqlite_038/src/main.rs"
(cd "$work/sqlite_038" && cargo run --quiet)
(cd "$work/sqlite_038" && cargo tree -e normal --prefix none | grep '^libsqlite3-sys v0\.38' >/dev/null) \
  || { echo "FAIL: the app did not resolve libsqlite3-sys 0.38"; exit 1; }
echo "ok: an app pinning libsqlite3-sys 0.38 builds and runs a prefetch"
