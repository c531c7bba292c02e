/* test_access.c - the string-like calls: bytes, copies, move, searches,
 * pointer and view, with their range checks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "mmapfile.h"

static mmf_map *open_text(const char *name, const char *text, size_t n,
                          int access)
{
    const char *p = th_path(name);
    assert_int_equal(th_write_file(p, text, n), 0);
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = access;
    if (mmf_open_path(m, p, &o) != 0)
        fail_msg("%s", mmf_errmsg(m));
    return m;
}

static void byte_get_set_and_range_errors(void **state)
{
    (void)state;
    mmf_map *m = open_text("bytes", "abcdef", 6, MMF_ACCESS_WRITE);
    uint8_t b = 0;
    assert_int_equal(mmf_get_byte(m, 5, &b), 0);
    assert_int_equal(b, 'f');
    assert_int_equal(mmf_get_byte(m, 6, &b), MMF_ERANGE);
    assert_non_null(strstr(mmf_errmsg(m), "past the end of the map (6 bytes)"));
    assert_int_equal(mmf_get_byte(m, UINT64_MAX, &b), MMF_EOVERFLOW);
    assert_int_equal(mmf_set_byte(m, 0, 'A'), 0);
    assert_int_equal(mmf_set_byte(m, 6, 'A'), MMF_ERANGE);
    assert_int_equal(mmf_get_byte(m, 0, &b), 0);
    assert_int_equal(b, 'A');
    mmf_free(m);
}

static void copy_out_and_in_check_every_bound(void **state)
{
    (void)state;
    mmf_map *m = open_text("copies", "0123456789", 10, MMF_ACCESS_WRITE);
    char buf[16];
    assert_int_equal(mmf_copy_out(m, 2, buf, 8), 0);
    assert_memory_equal(buf, "23456789", 8);
    assert_int_equal(mmf_copy_out(m, 3, buf, 8), MMF_ERANGE);
    assert_int_equal(mmf_copy_out(m, 10, buf, 0), 0);
    assert_int_equal(mmf_copy_out(m, 11, buf, 0), MMF_ERANGE);
    assert_int_equal(mmf_copy_out(m, UINT64_MAX, buf, 2), MMF_EOVERFLOW);
    /* 1 + SIZE_MAX wraps only where size_t is 64-bit; a 32-bit one is
     * just past the end. */
    assert_int_equal(mmf_copy_out(m, 1, buf, SIZE_MAX),
                     SIZE_MAX == UINT64_MAX ? MMF_EOVERFLOW : MMF_ERANGE);
    assert_int_equal(mmf_copy_out(m, 0, NULL, 1), MMF_EINVAL);
    assert_int_equal(mmf_copy_in(m, 8, "XY", 2), 0);
    assert_int_equal(mmf_copy_in(m, 9, "XY", 2), MMF_ERANGE);
    assert_int_equal(mmf_copy_in(m, 0, NULL, 1), MMF_EINVAL);
    assert_int_equal(mmf_copy_out(m, 0, buf, 10), 0);
    assert_memory_equal(buf, "01234567XY", 10);
    mmf_free(m);
}

static void move_has_memmove_semantics(void **state)
{
    (void)state;
    mmf_map *m = open_text("move", "0123456789", 10, MMF_ACCESS_WRITE);
    char buf[10];
    assert_int_equal(mmf_move(m, 2, 0, 5), 0); /* overlapping, forward */
    mmf_copy_out(m, 0, buf, 10);
    assert_memory_equal(buf, "0101234789", 10);
    assert_int_equal(mmf_move(m, 0, 3, 7), 0); /* overlapping, backward */
    mmf_copy_out(m, 0, buf, 10);
    assert_memory_equal(buf, "1234789789", 10);
    assert_int_equal(mmf_move(m, 5, 0, 6), MMF_ERANGE);
    assert_non_null(strstr(mmf_errmsg(m), "move destination"));
    assert_int_equal(mmf_move(m, 0, 5, 6), MMF_ERANGE);
    assert_non_null(strstr(mmf_errmsg(m), "move source"));
    assert_int_equal(mmf_move(m, 0, UINT64_MAX, 2), MMF_EOVERFLOW);
    assert_int_equal(mmf_move(m, 1, 1, UINT64_MAX), MMF_EOVERFLOW);
    assert_int_equal(mmf_move(m, 10, 0, 0), 0);
    mmf_free(m);
}

static void find_rfind_count_with_start_and_end(void **state)
{
    (void)state;
    const char *text = "abcabcXabcab";
    mmf_map *m = open_text("find", text, strlen(text), MMF_ACCESS_READ);
    uint64_t pos, n;
    assert_int_equal(mmf_find(m, "abc", 3, 0, MMF_END, &pos), 0);
    assert_int_equal(pos, 0);
    assert_int_equal(mmf_find(m, "abc", 3, 1, MMF_END, &pos), 0);
    assert_int_equal(pos, 3);
    assert_int_equal(mmf_find(m, "abc", 3, 4, 9, &pos), 0);
    assert_int_equal(pos, MMF_NOT_FOUND); /* 7..10 does not fit before 9 */
    assert_int_equal(mmf_find(m, "abc", 3, 4, 10, &pos), 0);
    assert_int_equal(pos, 7);
    assert_int_equal(mmf_rfind(m, "abc", 3, 0, MMF_END, &pos), 0);
    assert_int_equal(pos, 7);
    assert_int_equal(mmf_rfind(m, "abc", 3, 0, 9, &pos), 0);
    assert_int_equal(pos, 3);
    assert_int_equal(mmf_rfind(m, "ab", 2, 0, MMF_END, &pos), 0);
    assert_int_equal(pos, 10);
    assert_int_equal(mmf_find(m, "zz", 2, 0, MMF_END, &pos), 0);
    assert_int_equal(pos, MMF_NOT_FOUND);
    assert_int_equal(mmf_find(m, "", 0, 4, MMF_END, &pos), 0);
    assert_int_equal(pos, 4);
    assert_int_equal(mmf_rfind(m, "", 0, 0, 5, &pos), 0);
    assert_int_equal(pos, 5);
    assert_int_equal(mmf_find(m, "", 0, 13, MMF_END, &pos), 0);
    assert_int_equal(pos, MMF_NOT_FOUND); /* start past the end */
    assert_int_equal(mmf_find(m, "a", 1, 5, 2, &pos), 0);
    assert_int_equal(pos, MMF_NOT_FOUND); /* start > end */
    assert_int_equal(mmf_count(m, "abc", 3, 0, MMF_END, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(mmf_count(m, "ab", 2, 1, MMF_END, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(mmf_count(m, "", 0, 2, 5, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(mmf_find(m, NULL, 2, 0, MMF_END, &pos), MMF_EINVAL);
    mmf_free(m);
    m = open_text("overlap", "aaaaa", 5, MMF_ACCESS_READ);
    assert_int_equal(mmf_count(m, "aa", 2, 0, MMF_END, &n), 0);
    assert_int_equal(n, 2); /* non-overlapping, like str.count */
    mmf_free(m);
}

static void find_agrees_with_naive_search_on_random_text(void **state)
{
    (void)state;
    size_t n = 200000;
    char *text = malloc(n);
    for (size_t i = 0; i < n; i++)
        text[i] = "abc\n"[rand() % 4];
    mmf_map *m = open_text("random-find", text, n, MMF_ACCESS_READ);
    srand(42);
    for (int t = 0; t < 300; t++) {
        size_t nlen = 1 + (size_t)rand() % 8;
        size_t at = (size_t)rand() % (n - nlen);
        char needle[8];
        memcpy(needle, text + at, nlen);
        uint64_t start = (uint64_t)(rand() % (int)n);
        uint64_t end = start + (uint64_t)(rand() % 5000);
        uint64_t pos, rpos, expect = MMF_NOT_FOUND, rexpect = MMF_NOT_FOUND;
        uint64_t stop = end > n ? n : end;
        for (uint64_t i = start; i + nlen <= stop; i++)
            if (memcmp(text + i, needle, nlen) == 0) {
                if (expect == MMF_NOT_FOUND)
                    expect = i;
                rexpect = i;
            }
        assert_int_equal(mmf_find(m, needle, nlen, start, end, &pos), 0);
        assert_int_equal(pos, expect);
        assert_int_equal(mmf_rfind(m, needle, nlen, start, end, &rpos), 0);
        assert_int_equal(rpos, rexpect);
    }
    mmf_free(m);
    free(text);
}

static void pointer_and_view_give_the_bytes(void **state)
{
    (void)state;
    mmf_map *m = open_text("ptr", "hello world", 11, MMF_ACCESS_READ);
    void *p;
    uint64_t len;
    assert_int_equal(mmf_pointer(m, &p, &len), 0);
    assert_int_equal(len, 11);
    assert_memory_equal(p, "hello world", 11);
    assert_int_equal(mmf_view(m, 6, 5, &p), 0);
    assert_memory_equal(p, "world", 5);
    assert_int_equal(mmf_view(m, 7, 5, &p), MMF_ERANGE);
    assert_int_equal(mmf_view(m, UINT64_MAX, 5, &p), MMF_EOVERFLOW);
    mmf_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(byte_get_set_and_range_errors),
        cmocka_unit_test(copy_out_and_in_check_every_bound),
        cmocka_unit_test(move_has_memmove_semantics),
        cmocka_unit_test(find_rfind_count_with_start_and_end),
        cmocka_unit_test(find_agrees_with_naive_search_on_random_text),
        cmocka_unit_test(pointer_and_view_give_the_bytes),
    };
    return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
