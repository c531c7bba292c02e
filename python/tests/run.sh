#!/usr/bin/env bash
# Build the mmapfile extension in a scratch directory, then run CPython's
# test_mmap against it and the own tests.  Last line: `N passed, N failed`;
# the exit status is non-zero on any failure.  Called by `make check-python`.
#   PYTHON=python3.12 python/tests/run.sh      another interpreter
#   python/tests/run.sh -v                     one line per test
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pydir=$(dirname "$here")
PYTHON=${PYTHON:-python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/mmapfile-python.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "check-python: building the extension with $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
if ! (cd "$pydir" && "$PYTHON" setup.py -q build_ext \
        --build-lib "$work/lib" --build-temp "$work/tmp") >"$work/build.log" 2>&1; then
    cat "$work/build.log"
    echo "check-python: the extension did not build"
    echo "0 passed, 1 failed"
    exit 1
fi

# test.test_mmap writes its files (sparse ones of up to 6 GiB) in the
# current directory: use the scratch one.
mkdir -p "$work/cwd"
cd "$work/cwd"
PYTHONPATH="$work/lib" PYTHONDONTWRITEBYTECODE=1 "$PYTHON" "$here/runtests.py" "$@"
