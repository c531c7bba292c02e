#!/usr/bin/env bash
# tests/cli/run.sh BUILD_DIR - end-to-end tests of the mmf tool.
#
# Each command is checked against the tool it imitates on real files:
# `mmf find` against grep -boaF (and a Python reference where grep cannot
# see the match: NUL bytes, patterns with newlines), `mmf dump` against
# hexdump -C byte for byte.  Every error case checks the exit code, the
# one-line "mmf: FILE: reason" message, and that nothing crashed or changed.
# Prints "N passed, N failed" last; exits non-zero on any failure.
set -u

BUILD=${1:?usage: tests/cli/run.sh BUILD_DIR}
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || { echo "tests/cli: no build dir $1" >&2;
    echo "0 passed, 1 failed"; exit 1; }
MMF=$BUILD/cli/mmf
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
if [ ! -x "$MMF" ]; then
    echo "tests/cli: $MMF not built" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
for tool in grep hexdump python3 cmp; do
    command -v "$tool" >/dev/null || { echo "tests/cli: needs $tool" >&2;
        echo "0 passed, 1 failed"; exit 1; }
done

T=$(mktemp -d "${TMPDIR:-/tmp}/mmf-cli.XXXXXX")
trap 'chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1

PASS=0
FAIL=0
pass() { PASS=$((PASS + 1)); }
fail() { FAIL=$((FAIL + 1)); echo "FAIL: $*"; }

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
    if [ "$2" == "$3" ]; then pass; else
        fail "$1"; echo "  expected: $(printf '%q' "$2")"
        echo "  actual:   $(printf '%q' "$3")"; fi
}

# run CMD... : sets RC, OUT, ERR
run() {
    "$@" >"$T/.out" 2>"$T/.err"
    RC=$?
    OUT=$(cat "$T/.out")
    ERR=$(cat "$T/.err")
}

# expect_error NAME RC FILE CMD... : exit code RC, exactly one stderr line
# "mmf: FILE: reason", nothing on stdout, no crash.
expect_error() {
    local name=$1 want=$2 file=$3
    shift 3
    run "$@"
    local lines
    lines=$(printf '%s\n' "$ERR" | grep -c .)
    if [ "$RC" -eq "$want" ] && [ -z "$OUT" ] && [ "$lines" -eq 1 ] &&
        [[ "$ERR" == "mmf: $file: "?* ]]; then
        pass
    else
        fail "$name: rc=$RC (want $want), stdout=$(printf '%q' "$OUT")," \
            "stderr=$(printf '%q' "$ERR")"
    fi
}

# --- test files ---------------------------------------------------------------
python3 - <<'EOF'
import random
r = random.Random(1234)
def w(name, data):
    open(name, "wb").write(data)
# Lines of filler with at most one NEEDLE per line, planted at offset 0, so
# that it crosses the 4095/4096 page edge, starts exactly at 4096, and ends
# at the last byte of the file.
N = b"needle"
buf = bytearray(N + b" first line\n")
while len(buf) < 4093:
    buf += b"filler text without the word %d\n" % len(buf)
buf = buf[:4093] + b"\n"            # 4094 bytes
buf += b"\n"                        # 4095 bytes, so the next needle is at 4095
buf += N + b"\n"                    # crosses the page edge at 4096
buf = buf[:4095 + len(N) + 1]
pad = 8192 - len(buf)
buf += b"x" * (pad - 1) + b"\n"     # next line starts at 8192
buf += N + b" at a page start\n"
for i in range(200):
    line = bytearray(b"%05d " % i + bytes(r.choice(b"abcdefghij ") for _ in range(r.randrange(10, 120))))
    if i % 7 == 0:
        p = r.randrange(0, len(line))
        line[p:p] = N
    buf += line + b"\n"
buf += b"tail " + N                 # ends at the last byte
w("lines.txt", bytes(buf))
w("page.txt", b"y" * 4096 + N + b"\n" + b"z" * 100)   # match exactly at 4096
w("edge.txt", b"q" * 4093 + N + b"\n")                 # match across 4096
w("repeat.txt", b"aaaaaaa\naa\n")                      # non-overlapping rule
w("bin.dat", bytes(r.randrange(256) for _ in range(300000)) + b"\x00\xffAB\x00")
w("zeros.dat", b"\0" * 100)
w("mixed.dat", b"A" * 16 + b"B" * 16 + b"A" * 48 + b"\0" * 33 + bytes(range(256)) * 3)
w("text.txt", b"mmap is a cool feature!\n")
w("rand.dat", bytes(r.randrange(256) for _ in range(70000)))
w("tabs.txt", b"a\tb\\c\nx\ty\n\ta\tb\\c")
EOF
: >empty.dat
mkdir adir
mkfifo fifo

# Python's view of non-overlapping matches: the reference where grep cannot
# be used.
ref_find() {
    python3 - "$@" <<'EOF'
import sys, codecs
pat = codecs.escape_decode(sys.argv[1].encode())[0]
for f in sys.argv[2:]:
    data = open(f, "rb").read()
    i = data.find(pat)
    while i >= 0:
        print("%s:%d" % (f, i))
        i = data.find(pat, i + len(pat))
EOF
}

# grep -boaF, with the file name always shown and the matched text cut off.
grep_find() {
    local pat=$1
    shift
    grep -HboaF -- "$pat" "$@" | cut -d: -f1,2
}

# --- version and help ---------------------------------------------------------
want_version=$(sed -n 's/^#define MMF_VERSION_STRING "\(.*\)"/\1/p' \
    "$ROOT/include/mmapfile.h")
run "$MMF" --version
expect_eq "--version" "mmf $want_version" "$OUT"
run "$MMF" --help
expect_eq "--help exit code" 0 "$RC"
for c in bench find patch dump stat; do
    run "$MMF" "$c" --help
    if [ "$RC" -eq 0 ] && [[ "$OUT" == "usage: mmf $c"* ]]; then pass; else
        fail "mmf $c --help: rc=$RC out=$OUT"; fi
done

# --- find against grep -boaF --------------------------------------------------
for f in lines.txt page.txt edge.txt repeat.txt text.txt; do
    for pat in needle aa a 'cool' "$(printf 'a\tb')" 'ne' 'e!'; do
        expect_eq "find '$pat' $f = grep -boaF" \
            "$(grep_find "$pat" "$f")" "$("$MMF" find -- "$pat" "$f")"
    done
done
run "$MMF" find needle lines.txt
expect_eq "find: match at offset 0" "lines.txt:0" "$(printf '%s\n' "$OUT" | head -1)"
expect_eq "find: match at page edge 4095" 1 \
    "$(printf '%s\n' "$OUT" | grep -cx 'lines.txt:4095')"
expect_eq "find: match at 8192" 1 "$(printf '%s\n' "$OUT" | grep -cx 'lines.txt:8192')"
size=$(stat -c %s lines.txt)
expect_eq "find: match ending at the last byte" "lines.txt:$((size - 6))" \
    "$(printf '%s\n' "$OUT" | tail -1)"
expect_eq "find: match at 4096" "page.txt:4096" "$("$MMF" find needle page.txt)"
expect_eq "find: match across 4096" "edge.txt:4093" "$("$MMF" find needle edge.txt)"
expect_eq "find: last byte" "lines.txt:$((size - 1))" \
    "$("$MMF" find 'e' lines.txt | tail -1)"
expect_eq "find: non-overlapping" "repeat.txt:0 repeat.txt:2 repeat.txt:4 repeat.txt:8" \
    "$("$MMF" find aa repeat.txt | tr '\n' ' ' | sed 's/ $//')"
expect_eq "find: several files = grep -HboaF" \
    "$(grep_find needle lines.txt page.txt edge.txt)" \
    "$("$MMF" find needle lines.txt page.txt edge.txt)"
for pat in needle a e '0'; do
    want=""
    for f in lines.txt page.txt text.txt; do
        want+="$f:$(grep -oaF -- "$pat" "$f" | wc -l)"$'\n'
    done
    expect_eq "find -c '$pat' = grep -oaF | wc -l" "${want%$'\n'}" \
        "$("$MMF" find -c -- "$pat" lines.txt page.txt text.txt)"
done
expect_eq "find --count" "lines.txt:$(grep -oaF needle lines.txt | wc -l)" \
    "$("$MMF" find --count needle lines.txt)"

# Escapes, NUL bytes and newlines: grep cannot see these; Python can.
for pat in '\x00' '\xff' '\x00\xffAB\x00' '\t' '\\c' 'a\tb\\c' 'x\ty\n\ta' \
    '\n' 'needle\n' '\x6eeedle'; do
    for f in bin.dat tabs.txt lines.txt; do
        expect_eq "find '$pat' $f = reference" "$(ref_find "$pat" "$f")" \
            "$("$MMF" find -- "$pat" "$f")"
    done
done
expect_eq "find -c escapes" "tabs.txt:2" "$("$MMF" find -c 'a\tb\\c' tabs.txt)"
expect_eq "find: random binary, 2-byte pattern" "$(ref_find '\x12\x34' rand.dat)" \
    "$("$MMF" find '\x12\x34' rand.dat)"

run "$MMF" find needle lines.txt
expect_eq "find: exit 0 on a match" 0 "$RC"
run "$MMF" find 'no such text' lines.txt
expect_eq "find: exit 1 without a match" "1::" "$RC:$OUT:$ERR"
run "$MMF" find needle empty.dat
expect_eq "find: empty file is no match, not an error" "1::" "$RC:$OUT:$ERR"
run "$MMF" find -c needle empty.dat
expect_eq "find -c: empty file counts 0" "1:empty.dat:0:" "$RC:$OUT:$ERR"
run "$MMF" find needle nosuch lines.txt
expect_eq "find: an error wins over a match (grep's rule)" 2 "$RC"
expect_eq "find: other files still searched" "$(grep_find needle lines.txt)" "$OUT"

# --- files that report a size of 0 (procfs) or have no mmap (sysfs) ----------
# Read with read(), as grep and hexdump do: never "no match" for bytes the
# tool did not look at.  /proc/self/status starts with "Name:\t" and the
# process name, which is qemu's under qemu-user: only the prefix is checked.
run "$MMF" find Name: /proc/self/status
if [ "$RC" -eq 0 ] && [ "$OUT" = "/proc/self/status:0" ]; then pass; else
    fail "find Name: /proc/self/status: rc=$RC out=$OUT err=$ERR"; fi
want=$(grep -c processor /proc/cpuinfo)
run "$MMF" find -c processor /proc/cpuinfo
expect_eq "find -c processor /proc/cpuinfo counts as grep -c" \
    "/proc/cpuinfo:$want" "$OUT"
run "$MMF" find -c no-such-thing-here /proc/cpuinfo
expect_eq "find -c of a missing pattern in procfs is 0, exit 1" "1 /proc/cpuinfo:0" "$RC $OUT"
run "$MMF" dump /proc/self/status 0 48
if [ "$RC" -eq 0 ] && [[ "$OUT" == "00000000  4e 61 6d 65 3a 09 "* ]] &&
    [[ "$OUT" == *$'\n'00000030 ]]; then pass; else
    fail "dump /proc/self/status: rc=$RC out=$OUT err=$ERR"; fi
sysf=/sys/kernel/mm/transparent_hugepage/enabled
if [ -r "$sysf" ]; then
    hexdump -C "$sysf" >"$T/.want"
    "$MMF" dump "$sysf" >"$T/.got" 2>"$T/.err"
    if cmp -s "$T/.want" "$T/.got"; then pass; else
        fail "dump of a sysfs file differs from hexdump -C: $(cat "$T/.err")"; fi
    run "$MMF" find -c never "$sysf"
    expect_eq "find -c in a sysfs file" "$sysf:$(grep -o never "$sysf" | wc -l)" "$OUT"
fi
# -c with a one-byte pattern counts like wc -l
python3 -c "
import random
r = random.Random(7)
with open('nlcount.txt', 'w') as f:
    for i in range(20000):
        f.write('x' * r.randrange(0, 200) + '\\n')
    f.write('no newline at the end')
"
run "$MMF" find -c '\n' nlcount.txt
expect_eq "find -c newline counts as wc -l" "nlcount.txt:$(wc -l <nlcount.txt)" "$OUT"

# --- dump against hexdump -C ---------------------------------------------------
dump_cmp() { # NAME FILE [OFFSET [LENGTH]]
    local name=$1 f=$2 s=${3-} n=${4-} hargs=()
    [ -n "$s" ] && hargs+=(-s "$s")
    [ -n "$n" ] && hargs+=(-n "$n")
    hexdump -C "${hargs[@]}" "$f" >"$T/.want" 2>/dev/null
    "$MMF" dump "$f" ${s:+"$s"} ${n:+"$n"} >"$T/.got" 2>"$T/.err"
    if cmp -s "$T/.want" "$T/.got"; then pass; else
        fail "dump $name ($f ${s:-} ${n:-}) differs from hexdump -C ${hargs[*]-}"
        diff "$T/.want" "$T/.got" | head -5
    fi
}
for f in text.txt zeros.dat mixed.dat lines.txt bin.dat tabs.txt empty.dat; do
    dump_cmp whole "$f"
done
for args in "0 0" "3 5" "16 32" "16 33" "24" "23 1" "100" "100 0" "1000000" \
    "0x10" "0x10 0x20" "4090 20" "4096 4096" "5 1000000" "112 50"; do
    # shellcheck disable=SC2086
    for f in text.txt zeros.dat mixed.dat lines.txt empty.dat; do
        dump_cmp "args $args" "$f" $args
    done
done
# Every length around a line and a repeat boundary.
for n in $(seq 1 50); do
    dump_cmp "length $n" mixed.dat 10 "$n"
done
dump_cmp "offset only" mixed.dat 0 ""
dump_cmp "offset past end" text.txt 25
dump_cmp "offset at end" text.txt 24

# --- patch ----------------------------------------------------------------------
printf 'mmap is a cool feature!' >write_test.txt
run "$MMF" patch write_test.txt 0 n
expect_eq "patch: the seed's example" "0:nmap is a cool feature!" \
    "$RC:$(cat write_test.txt)"
run "$MMF" patch write_test.txt 0x5 'IS\x21'
expect_eq "patch: hex offset and escapes" "0:nmap IS!a cool feature!" \
    "$RC:$(cat write_test.txt)"
printf 'abcdef' >nl.txt
"$MMF" patch nl.txt 2 '\n\t\\\x00'
expect_eq "patch: \\n \\t \\\\ \\x00" "61 62 0a 09 5c 00" \
    "$(od -An -tx1 nl.txt | xargs)"

cp text.txt before.txt
for args in "24 x" "23 xy" "0x18 x" "1000 x" "18446744073709551615 xy"; do
    # shellcheck disable=SC2086
    expect_error "patch past the end ($args)" 2 text.txt "$MMF" patch text.txt $args
    if cmp -s before.txt text.txt; then pass; else
        fail "patch past the end ($args) changed the file"; fi
done
expect_error "patch: negative offset" 2 patch "$MMF" patch text.txt -1 x
expect_error "patch: overflowing offset" 2 patch \
    "$MMF" patch text.txt 99999999999999999999 x
expect_error "patch: not a number" 2 patch "$MMF" patch text.txt 12abc x
expect_error "patch: bad escape" 2 patch "$MMF" patch text.txt 0 '\q'
expect_error "patch: short \\x" 2 patch "$MMF" patch text.txt 0 '\x4'
expect_error "patch: empty DATA" 2 patch "$MMF" patch text.txt 0 ''
if cmp -s before.txt text.txt; then pass; else fail "refused patches changed text.txt"; fi

printf 'abc' >grow.txt
run "$MMF" patch --grow grow.txt 3 def
expect_eq "patch --grow appends" "0:abcdef" "$RC:$(cat grow.txt)"
run "$MMF" patch grow.txt 8 'XY' --grow
expect_eq "patch --grow leaves a zero gap" "0:61 62 63 64 65 66 00 00 58 59" \
    "$RC:$(od -An -tx1 grow.txt | xargs)"
run "$MMF" patch --grow grow.txt 1 Q
expect_eq "patch --grow inside the file does not grow" "0:10" \
    "$RC:$(stat -c %s grow.txt)"
: >empty2.dat
expect_error "patch: empty file without --grow" 2 empty2.dat \
    "$MMF" patch empty2.dat 0 x
expect_eq "patch: empty file untouched" 0 "$(stat -c %s empty2.dat)"
run "$MMF" patch --grow empty2.dat 0 hello
expect_eq "patch --grow on an empty file" "0:hello" "$RC:$(cat empty2.dat)"

# --- stat -----------------------------------------------------------------------
run "$MMF" stat lines.txt
pages=$(( (size + 4095) / 4096 ))
if [ "$RC" -eq 0 ] && [[ "$OUT" == *"size:      $size bytes"* ]] &&
    [[ "$OUT" == *"pages:     $pages"* ]] &&
    [[ "$OUT" =~ resident:\ +[0-9]+/$pages\ pages.*[0-9.]+% ]]; then pass; else
    fail "stat lines.txt: rc=$RC out=$OUT"; fi
cat lines.txt >/dev/null
run "$MMF" stat lines.txt
if [[ "$OUT" == *"$pages/$pages pages"*"100.0%"* ]]; then pass; else
    fail "stat: a file just read is fully resident: $OUT"; fi
run "$MMF" stat empty.dat text.txt
if [ "$RC" -eq 0 ] && [[ "$OUT" == "empty.dat"*"size:      0 bytes"*"text.txt"* ]]; then
    pass; else fail "stat: empty file and a second file: rc=$RC out=$OUT"; fi

# --- errors: every command, every kind of file it cannot use --------------------
for c in find dump patch stat; do
    case $c in
    find) pre=(find x) post=() ;;
    patch) pre=(patch) post=(0 x) ;;
    *) pre=("$c") post=() ;;
    esac
    expect_error "$c: missing file" 2 nosuch "$MMF" "${pre[@]}" nosuch "${post[@]}"
    expect_error "$c: directory" 2 adir "$MMF" "${pre[@]}" adir "${post[@]}"
    expect_error "$c: /dev/null" 2 /dev/null "$MMF" "${pre[@]}" /dev/null "${post[@]}"
    # A FIFO must be refused, not waited on: a hang here is a failure.
    expect_error "$c: FIFO" 2 fifo timeout 10 "$MMF" "${pre[@]}" fifo "${post[@]}"
done
[[ "$("$MMF" find x nosuch 2>&1)" == *"No such file"* ]] && pass ||
    fail "missing file: message names the reason"
[[ "$("$MMF" dump adir 2>&1)" == *"directory"* ]] && pass ||
    fail "directory: message names the reason"
[[ "$("$MMF" stat fifo 2>&1)" == *"FIFO"* ]] && pass ||
    fail "fifo: message names the reason"

# Permission denied: root reads everything, so as root run the check as the
# unprivileged user nobody when setpriv can, and say so loudly otherwise.
cp text.txt secret.txt
chmod 000 secret.txt
as_user=()
if [ "$(id -u)" = 0 ]; then
    chmod 755 "$T"
    if command -v setpriv >/dev/null &&
        setpriv --reuid=65534 --regid=65534 --clear-groups "$MMF" --version \
            >/dev/null 2>&1 &&
        setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$T"; then
        as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    else
        as_user=(skip)
    fi
fi
if [ "${as_user[*]-}" = skip ]; then
    echo "SKIP: permission-denied checks (running as root, and cannot drop" \
        "to user nobody with setpriv)"
else
    for c in find dump patch stat; do
        case $c in
        find) args=(find x secret.txt) ;;
        patch) args=(patch secret.txt 0 x) ;;
        *) args=("$c" secret.txt) ;;
        esac
        expect_error "$c: permission denied" 2 secret.txt \
            "${as_user[@]}" "$MMF" "${args[@]}"
        [[ "$ERR" == *"ermission"* ]] && pass ||
            fail "$c: permission message: $ERR"
    done
    chmod 444 secret.txt
    expect_error "patch: read-only file" 2 secret.txt \
        "${as_user[@]}" "$MMF" patch secret.txt 0 x
    chmod 644 secret.txt
    if cmp -s secret.txt text.txt; then pass; else fail "secret.txt changed"; fi
fi

# --- bad usage ----------------------------------------------------------------
bad_usage() { # NAME CMD...: exit 2, a message on stderr, nothing on stdout
    local name=$1
    shift
    run "$@"
    if [ "$RC" -eq 2 ] && [ -z "$OUT" ] && [[ "$ERR" == mmf:* ]]; then pass
    else fail "$name: rc=$RC out=$OUT err=$ERR"; fi
}
bad_usage "no command" "$MMF"
bad_usage "unknown command" "$MMF" frobnicate
bad_usage "unknown global option" "$MMF" --frob
bad_usage "find: unknown option" "$MMF" find --frob x lines.txt
bad_usage "find: no file" "$MMF" find needle
bad_usage "find: empty pattern" "$MMF" find '' lines.txt
bad_usage "find: bad escape" "$MMF" find 'a\' lines.txt
bad_usage "dump: no file" "$MMF" dump
bad_usage "dump: too many operands" "$MMF" dump text.txt 1 2 3
bad_usage "dump: negative offset" "$MMF" dump text.txt -3
bad_usage "dump: bad length" "$MMF" dump text.txt 0 ten
bad_usage "patch: missing DATA" "$MMF" patch text.txt 0
bad_usage "patch: unknown option" "$MMF" patch -z text.txt 0 x
bad_usage "stat: no file" "$MMF" stat
bad_usage "bench: bad size" "$MMF" bench --size 12Q
bad_usage "bench: size too small" "$MMF" bench --size 1M
bad_usage "bench: runs 0" "$MMF" bench --runs 0
bad_usage "bench: runs not a number" "$MMF" bench --runs many
bad_usage "bench: option without value" "$MMF" bench --size
bad_usage "bench: two files" "$MMF" bench a b
if cmp -s before.txt text.txt; then pass; else fail "bad usage changed text.txt"; fi

# --- bench ----------------------------------------------------------------------
# The issue's exact command: the file goes next to the executable and is
# deleted afterwards.
rm -f "$BUILD/cli/test.out"
run "$MMF" bench --size 12M --runs 1 --json
if [ "$RC" -eq 0 ] && printf '%s\n' "$OUT" | python3 -m json.tool >/dev/null; then
    pass; else fail "bench --json: rc=$RC, invalid JSON or error: $ERR"; fi
printf '%s\n' "$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)
names = [w["name"] for w in d["workloads"]]
need = ["classic", "scan", "find", "random_read", "modify_sync",
        "modify_durable", "open_close"]
assert all(n in names for n in need), names
assert d["size"] == 12 << 20, d["size"]
for w in d["workloads"]:
    if w.get("skipped") is None:
        assert w["baseline_median_s"] > 0 and w["mmapfile_median_s"] > 0, w
        assert w["ratio"] > 0, w
refs = {w["name"]: w for w in d["workloads"] if "reference" in w}
assert sorted(refs) == ["open_close", "small_files"], sorted(refs)
for w in refs.values():
    assert w["reference"] == "open+fstat+read+close", w
    assert w["reference_median_s"] > 0 and w["reference_ratio"] > 0, w
    assert w["mmapfile_vs_reference"] > 0, w
' && pass || fail "bench --json: missing workloads or values"
[ ! -e "$BUILD/cli/test.out" ] && pass || fail "bench left test.out behind"

run "$MMF" bench --size 11M --runs 1 --keep --file "$T/kept.out"
if [ "$RC" -eq 0 ] && [ "$(stat -c %s kept.out 2>/dev/null)" = $((11 << 20)) ] &&
    [[ "$OUT" == *"normal time elapsed: "*s*"mmap time elapsed: "*"mmap is "*x*" "* ]] &&
    [[ "$OUT" == *"sequential scan"*"random 4 KiB reads"*"open+map+close"* ]]; then
    pass; else fail "bench --keep --file: rc=$RC err=$ERR out=$OUT"; fi
cp kept.out kept.copy
run "$MMF" bench --runs 1 kept.out
if [ "$RC" -eq 0 ] && cmp -s kept.out kept.copy; then pass; else
    fail "bench on an existing file must leave it unchanged: rc=$RC $ERR"; fi
run "$MMF" bench --runs 1 text.txt
expect_eq "bench: a file under 10 MiB is refused" 2 "$RC"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
