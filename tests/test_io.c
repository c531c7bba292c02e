/* test_io.c - the cursor: seek/tell/read/read_byte/readline/write. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "helpers.h"
#include "mmapfile.h"

static mmf_map *open_text(const char *name, const char *text, int access)
{
    const char *p = th_path(name);
    assert_int_equal(th_write_file(p, text, strlen(text)), 0);
    mmf_map *m = NULL;
    assert_int_equal(mmf_new(&m), 0);
    mmf_options o = MMF_OPTIONS_INIT;
    o.access = access;
    if (mmf_open_path(m, p, &o) != 0)
        fail_msg("%s", mmf_errmsg(m));
    return m;
}

static void seek_all_whences_and_limits(void **state)
{
    (void)state;
    mmf_map *m = open_text("seek", "0123456789", MMF_ACCESS_READ);
    uint64_t pos;
    assert_int_equal(mmf_seek(m, 4, MMF_SEEK_SET, &pos), 0);
    assert_int_equal(pos, 4);
    assert_int_equal(mmf_seek(m, 3, MMF_SEEK_CUR, &pos), 0);
    assert_int_equal(pos, 7);
    assert_int_equal(mmf_seek(m, -2, MMF_SEEK_END, &pos), 0);
    assert_int_equal(pos, 8);
    assert_int_equal(mmf_seek(m, 0, MMF_SEEK_END, &pos), 0);
    assert_int_equal(pos, 10);
    assert_int_equal(mmf_seek(m, 1, MMF_SEEK_END, &pos), MMF_ERANGE);
    assert_int_equal(mmf_seek(m, -11, MMF_SEEK_END, &pos), MMF_ERANGE);
    assert_int_equal(mmf_seek(m, INT64_MIN, MMF_SEEK_CUR, &pos), MMF_ERANGE);
    assert_int_equal(mmf_seek(m, INT64_MAX, MMF_SEEK_CUR, &pos), MMF_ERANGE);
    assert_int_equal(mmf_seek(m, 0, 3, &pos), MMF_EINVAL);
    assert_non_null(strstr(mmf_errmsg(m), "whence 3"));
    assert_int_equal(mmf_tell(m), 10); /* failed seeks did not move it */
    mmf_free(m);
}

static void read_and_read_byte_stop_at_end(void **state)
{
    (void)state;
    mmf_map *m = open_text("read", "abcdef", MMF_ACCESS_READ);
    char buf[16];
    size_t n;
    assert_int_equal(mmf_read(m, buf, 4, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "abcd", 4);
    assert_int_equal(mmf_read(m, buf, 100, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "ef", 2);
    assert_int_equal(mmf_read(m, buf, 100, &n), 0);
    assert_int_equal(n, 0);
    uint8_t b;
    assert_int_equal(mmf_read_byte(m, &b), MMF_EEOF);
    assert_int_equal(mmf_seek(m, 5, MMF_SEEK_SET, NULL), 0);
    assert_int_equal(mmf_read_byte(m, &b), 0);
    assert_int_equal(b, 'f');
    assert_int_equal(mmf_tell(m), 6);
    assert_int_equal(mmf_read(m, buf, SIZE_MAX, &n), 0);
    assert_int_equal(n, 0);
    mmf_free(m);
}

static void readline_splits_on_newline(void **state)
{
    (void)state;
    mmf_map *m = open_text("lines", "one\ntwo\n\nlast", MMF_ACCESS_READ);
    char buf[16];
    size_t n;
    uint64_t len;
    assert_int_equal(mmf_line_length(m, &len), 0);
    assert_int_equal(len, 4);
    assert_int_equal(mmf_readline(m, buf, sizeof buf, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "one\n", 4);
    assert_int_equal(mmf_readline(m, buf, 2, &n), 0); /* capped */
    assert_int_equal(n, 2);
    assert_memory_equal(buf, "tw", 2);
    assert_int_equal(mmf_readline(m, buf, sizeof buf, &n), 0);
    assert_memory_equal(buf, "o\n", 2);
    assert_int_equal(mmf_readline(m, buf, sizeof buf, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(mmf_readline(m, buf, sizeof buf, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(buf, "last", 4);
    assert_int_equal(mmf_readline(m, buf, sizeof buf, &n), 0);
    assert_int_equal(n, 0);
    mmf_free(m);
}

static void write_never_passes_the_end(void **state)
{
    (void)state;
    mmf_map *m = open_text("write", "..........", MMF_ACCESS_WRITE);
    assert_int_equal(mmf_seek(m, 7, MMF_SEEK_SET, NULL), 0);
    assert_int_equal(mmf_write(m, "abcd", 4), MMF_ERANGE);
    assert_non_null(strstr(mmf_errmsg(m), "MMF_GROW"));
    assert_int_equal(mmf_tell(m), 7);
    assert_int_equal(mmf_write(m, "abc", 3), 0);
    assert_int_equal(mmf_tell(m), 10);
    assert_int_equal(mmf_write_byte(m, 'z'), MMF_ERANGE);
    assert_int_equal(mmf_write(m, "", 0), 0);
    assert_int_equal(mmf_seek(m, 0, MMF_SEEK_SET, NULL), 0);
    assert_int_equal(mmf_write_byte(m, 'z'), 0);
    char buf[10];
    assert_int_equal(mmf_copy_out(m, 0, buf, 10), 0);
    assert_memory_equal(buf, "z......abc", 10);
    /* position + SIZE_MAX wraps only where size_t is 64-bit */
    assert_int_equal(mmf_write(m, "x", SIZE_MAX),
                     SIZE_MAX == UINT64_MAX ? MMF_EOVERFLOW : MMF_ERANGE);
    mmf_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seek_all_whences_and_limits),
        cmocka_unit_test(read_and_read_byte_stop_at_end),
        cmocka_unit_test(readline_splits_on_newline),
        cmocka_unit_test(write_never_passes_the_end),
    };
    return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
