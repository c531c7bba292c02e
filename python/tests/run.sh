#!/usr/bin/env bash
# Build the mmapfile extension for each CPython 3.10+ on the machine and run,
# with each, that interpreter's own test.test_mmap against mmapfile and the
# tests in python/tests (every test_*.py).  Called by `make check-python`.
#
#   python/tests/run.sh                  the matrix: one line per interpreter
#                                        `python3.X: N passed, N failed`
#   PYTHON=python3.12 python/tests/run.sh    one interpreter, unittest output
#   python/tests/run.sh -v               one line per test
#
# The matrix: python3.10 ... python3.19 on PATH, pyenv's versions
# ($PYENV_ROOT, ~/.pyenv) and the system's /usr/bin/python3 (Debian's, where
# the numpy tests run: python3-numpy, python3-dev and its test suite
# libpython3.X-testsuite are installed by scripts/need-packages.sh when
# missing).  An expected version that is not there is reported as absent,
# not failed.  Exit status non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pydir=$(dirname "$here")
root=$(dirname "$pydir")

work=$(mktemp -d "${TMPDIR:-/tmp}/mmapfile-python.XXXXXX")
trap 'rm -rf "$work"' EXIT

# run_one PYTHON DIR [args]: build into DIR/lib, run the tests in DIR/cwd
# (test.test_mmap writes its files, sparse ones of up to 6 GiB, in the
# current directory).  Output ends with `N passed, N failed`.
run_one() {
    local py=$1 dir=$2
    shift 2
    mkdir -p "$dir/cwd"
    if ! "$py" "$pydir/_mmapfile_build.py" build "$dir/lib" >"$dir/build.log" 2>&1; then
        cat "$dir/build.log"
        echo "check-python: the extension did not build"
        echo "0 passed, 1 failed"
        return 1
    fi
    (cd "$dir/cwd" && PYTHONPATH="$dir/lib" PYTHONDONTWRITEBYTECODE=1 \
        "$py" "$here/runtests.py" "$@")
}

if [ -n "${PYTHON:-}" ]; then
    echo "check-python: $("$PYTHON" -c 'import sys; print(sys.version.split()[0])') ($(command -v "$PYTHON"))"
    run_one "$PYTHON" "$work/one" "$@"
    exit $?
fi

# --- the matrix ------------------------------------------------------------

version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }

candidates=()
for v in 10 11 12 13 14 15 16 17 18 19; do
    p=$(command -v "python3.$v" 2>/dev/null) && candidates+=("$p")
done
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
for p in "$pyenv_root"/versions/*/bin/python3; do
    [ -x "$p" ] && candidates+=("$p")
done
[ -x /usr/bin/python3 ] && candidates+=(/usr/bin/python3)

# Debian's interpreter: numpy, headers and test.test_mmap are packages.
if [ -x /usr/bin/python3 ] && command -v dpkg >/dev/null 2>&1; then
    dv=$(version_of /usr/bin/python3)
    "$root/scripts/need-packages.sh" python3-numpy python3-dev \
        "libpython$dv-testsuite" || true
fi

declare -A seen_path seen_version
interps=()
for p in "${candidates[@]}"; do
    # The interpreter itself, not a pyenv shim or symlink in front of it.
    real=$("$p" -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null) || continue
    [ -n "${seen_path[$real]:-}" ] && continue
    seen_path[$real]=1
    v=$(version_of "$real") || continue
    case $v in 3.[0-9]) continue ;; esac   # 3.10+ only
    interps+=("$real")
    seen_version[$v]=1
done

# Two interpreters at a time: each run is mostly one busy core.
jobs=${MMAPFILE_PY_JOBS:-2}
i=0
for p in "${interps[@]}"; do
    i=$((i + 1))
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    (
        start=$(date +%s)
        run_one "$p" "$work/py$i" "$@" >"$work/log$i.txt" 2>&1
        echo "$? $(( $(date +%s) - start ))" >"$work/rc$i"
    ) &
done
wait

status=0
i=0
for p in "${interps[@]}"; do
    i=$((i + 1))
    v=$(version_of "$p")
    log="$work/log$i.txt"
    read -r rc secs <"$work/rc$i"
    counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
    [ -n "$counts" ] || counts="0 passed, 1 failed"
    skipped=$(grep -E '^[0-9]+ skipped$' "$log" | tail -n 1)
    numpy=""
    "$p" -c 'import numpy' 2>/dev/null && numpy=", numpy"
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "--- python$v ($p): failures"
        sed -n '/^=====/,$p' "$log" | head -n 200
        grep -E 'did not build' "$log" && head -n 50 "$log"
    fi
    echo "python$v: $counts (${skipped:-0 skipped}; $p$numpy; ${secs}s)"
done
for v in 3.10 3.11 3.12 3.13; do
    [ -z "${seen_version[$v]:-}" ] && echo "python$v: absent (not tested)"
done
[ ${#interps[@]} -eq 0 ] && { echo "check-python: no CPython 3.10+ found"; status=1; }
exit $status
