# shellcheck shell=sh disable=SC2154 # $root comes from the caller
# exclusions.sh - the reader of tests/cross/exclusions.txt, shared by
# tests/cross/run.sh and tests/i686/run.sh, which set $root (the
# repository).  Sourced, not run.  POSIX sh.

# cross_exclusions TARGET PROGRAM: the exclusions of PROGRAM on TARGET as
# "test reason..." lines, the format tests/cross/cmocka.h reads from
# MMF_EXCLUDE.  TARGET is aarch64, s390x or i686 under qemu-user, or musl;
# the word "qemu" in the file stands for every target run under qemu-user.
cross_exclusions() {
    awk -v t="$1" -v p="$2" '
        /^[ \t]*(#|$)/ { next }
        {
            n = split($1, ts, ",")
            hit = 0
            for (i = 1; i <= n; i++)
                if (ts[i] == t || (ts[i] == "qemu" && t != "musl"))
                    hit = 1
            if (!hit || $2 != p)
                next
            line = $3
            for (i = 4; i <= NF; i++)
                line = line " " $i
            print line
        }' "$root/tests/cross/exclusions.txt"
}
