#!/usr/bin/env bash
# Compile-time cost of #[derive(Relations)]: a generated schema of 51 models and
# 100 relations (each model i > 1 has two foreign keys, to models i/2 and i-1),
# built three times: with Diesel's derives alone (`without`), with Diesel's
# `Associations` and a `belongs_to` per foreign key added (`assoc`: what
# hand-written `belonging_to` + `grouped_by` loading needs), and with Relations
# added instead (`with`). Times a clean build of the generated crate (its
# dependencies already built) and an incremental rebuild after touching it
# (nine rounds, each building every variant once; `ROUNDS=n` to change), and
# prints the median round's ratios: `ratio` is Relations over Diesel's derives
# alone (the goal's measure, with the lowest and highest round), `ratio_assoc`
# Relations over the Associations baseline. `*_s` are the fastest builds.
#
#   bash scripts/compile_time.sh [models]   (default 51 models: 50 with keys, 100 relations)
#
# With --instructions, counts the instructions rustc executes for the same two
# builds instead (valgrind's cachegrind, one run each; the derive runs inside
# rustc, so it is counted). Unlike wall-clock time, the count does not depend
# on the machine's load, so it shows changes of a percent. Needs valgrind.
#
#   bash scripts/compile_time.sh --instructions [models]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
instructions=false
if [ "${1:-}" = --instructions ]; then instructions=true; shift; fi
models=${1:-51}
work=$root/target/compile-time
mkdir -p "$work"

gen() { # $1 = without|assoc|with
  local dir=$work/$1
  mkdir -p "$dir/src"
  cat > "$dir/Cargo.toml" <<TOML
[package]
name = "compile_time_$1"
version = "0.0.0"
edition = "2021"
publish = false

[workspace]

[dependencies]
diesel = { version = "2.3", default-features = false, features = ["sqlite"] }
diesel-relations = { path = "$root", features = ["sqlite-bundled"] }
TOML
  python3 - "$1" "$models" > "$dir/src/lib.rs" <<'PY'
import sys
variant, n = sys.argv[1], int(sys.argv[2])
rel = variant == "with"
assoc = variant == "assoc"
out = ["#![allow(dead_code)]", "use diesel::prelude::*;"] + (["use diesel_relations::Relations;"] if rel else []) + [""]
for i in range(1, n + 1):
    cols = ["id -> Integer,", "name -> Text,"]
    if i > 1:
        cols += ["a_id -> Integer,", "b_id -> Nullable<Integer>,"]
    out.append(f"diesel::table! {{ t{i} (id) {{ {' '.join(cols)} }} }}")
out.append("diesel::allow_tables_to_appear_in_same_query!(" + ", ".join(f"t{i}" for i in range(1, n + 1)) + ");")
derive = "#[derive(Queryable, Selectable, Identifiable, Debug, Clone" + (", Relations" if rel else "")
for i in range(1, n + 1):
    a, b = max(1, i // 2), i - 1
    out.append(derive + (", Associations" if assoc and i > 1 else "") + ")]")
    out.append(f"#[diesel(table_name = t{i})]")
    if assoc and i > 1:
        # Diesel allows one `belongs_to` per parent type: model 2's two keys
        # both point at model 1, so it gets one.
        out.append(f"#[diesel(belongs_to(M{a}, foreign_key = a_id))]")
        if b != a:
            out.append(f"#[diesel(belongs_to(M{b}, foreign_key = b_id))]")
    out.append(f"pub struct M{i} {{")
    out.append("    pub id: i32,")
    out.append("    pub name: String,")
    if i > 1:
        if rel:
            out.append(f'    #[foreign_key(references = M{a}, related_name = "a_of_{i}")]')
        out.append("    pub a_id: i32,")
        if rel:
            out.append(f'    #[foreign_key(references = M{b}, related_name = "b_of_{i}")]')
        out.append("    pub b_id: Option<i32>,")
    out.append("}")
print("\n".join(out))
PY
}

# Wall-clock seconds of builds of the generated crate: ROUNDS rounds (default
# 9), each building every variant once, in an order that rotates from round to
# round; `clean` after `cargo clean -p` (dependencies stay built), `incr` after
# a touch. A round's ratios compare builds made seconds apart, so a change in
# the machine's speed between rounds cancels out; the median round is reported.
# Prints "<best without> <best assoc> <best with> <median ratio> <lowest ratio>
# <highest ratio> <median ratio_assoc>".
timed_rounds() { # $1 = clean|incr
  python3 - "$work" "$1" "${ROUNDS:-9}" <<'PY'
import os, statistics, subprocess, sys, time
work, kind, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
variants = ["without", "assoc", "with"]
times = {v: [] for v in variants}
for r in range(rounds):
    for variant in variants[r % 3:] + variants[:r % 3]:
        env = dict(os.environ, CARGO_TARGET_DIR=f"{work}/target-{variant}")
        cwd = f"{work}/{variant}"
        if kind == "clean":
            subprocess.run(["cargo", "clean", "-q", "-p", f"compile_time_{variant}"], cwd=cwd, env=env, check=True)
        else:
            os.utime(f"{cwd}/src/lib.rs")
        start = time.perf_counter()
        subprocess.run(["cargo", "build", "-q"], cwd=cwd, env=env, check=True)
        times[variant].append(time.perf_counter() - start)
ratios = [w / wo for w, wo in zip(times["with"], times["without"])]
ratios_assoc = [w / a for w, a in zip(times["with"], times["assoc"])]
best = " ".join(f"{min(times[v]):.3f}" for v in variants)
print(f"{best} {statistics.median(ratios):.3f} {min(ratios):.3f} {max(ratios):.3f} {statistics.median(ratios_assoc):.3f}")
PY
}

# Instructions (G) of rustc on the generated crate: `clean` after `cargo clean
# -p`, `incr` after a touch. Prints "<without> <assoc> <with>". Every build goes through
# the same wrapper, so cargo's fingerprints stay put between the two builds.
instructions_of() { # $1 = clean|incr
  local out=() v
  for v in without assoc with; do
    local dir=$work/$v cg
    cg=$(mktemp)
    if [ "$1" = clean ]; then
      (cd "$dir" && CARGO_TARGET_DIR=$work/target-$v cargo clean -q -p "compile_time_$v")
    else
      touch "$dir/src/lib.rs"
    fi
    (cd "$dir" && CG_OUT=$cg CARGO_TARGET_DIR=$work/target-$v cargo build -q)
    out+=("$(awk '/^summary:/ {printf "%.3f", $2 / 1e9}' "$cg")")
    rm -f "$cg"
  done
  echo "${out[*]}"
}

for v in without assoc with; do gen $v; done
if $instructions; then
  command -v valgrind >/dev/null || { echo "--instructions needs valgrind (apt-get install valgrind)"; exit 1; }
  cat > "$work/wrap.sh" <<'SH'
#!/usr/bin/env bash
# RUSTC_WRAPPER: the generated crate's rustc under cachegrind when CG_OUT is set.
rustc=$1; shift
if [ -n "${CG_OUT:-}" ] && [[ " $* " == *" --crate-name compile_time_"* ]]; then
  exec valgrind -q --tool=cachegrind --cache-sim=no --cachegrind-out-file="$CG_OUT" --log-file=/dev/null "$rustc" "$@"
fi
exec "$rustc" "$@"
SH
  chmod +x "$work/wrap.sh"
  export RUSTC_WRAPPER=$work/wrap.sh
fi
for v in without assoc with; do
  (cd "$work/$v" && CARGO_TARGET_DIR=$work/target-$v cargo build -q)   # dependencies
done
relations=$(( (models - 1) * 2 ))
printf 'models=%s relations=%s\n' "$models" "$relations"
if $instructions; then
  for kind in clean incr; do
    read -r wo as w < <(instructions_of $kind)
    printf '%-5s diesel_only_Ginstr=%s diesel_associations_Ginstr=%s with_relations_Ginstr=%s ratio=%.3f ratio_assoc=%.3f\n' \
      "$kind" "$wo" "$as" "$w" "$(echo "$w / $wo" | bc -l)" "$(echo "$w / $as" | bc -l)"
  done
  exit 0
fi
for kind in clean incr; do
  read -r wo as w ratio low high ratio_assoc < <(timed_rounds $kind)
  printf '%-5s diesel_only_s=%s diesel_associations_s=%s with_relations_s=%s ratio=%s (rounds %s-%s) ratio_assoc=%s\n' \
    "$kind" "$wo" "$as" "$w" "$ratio" "$low" "$high" "$ratio_assoc"
done
