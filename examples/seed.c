/* The seed example of the README: change the first byte of a file and
 * flush.  Built against the installed library by tests/install/run.sh. */
#include <stdio.h>
#include <mmapfile.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "write_test.txt";
    mmf_map *m;
    mmf_options opts = MMF_OPTIONS_INIT;
    opts.access = MMF_ACCESS_WRITE;
    if (mmf_new(&m) != 0)
        return 1;
    int rc = mmf_open_path(m, path, &opts);
    if (rc == 0)
        rc = mmf_set_byte(m, 0, 'n');
    if (rc == 0)
        rc = mmf_flush(m, 0, 0, MMF_FLUSH_SYNC);
    if (rc != 0)
        fprintf(stderr, "seed: %s\n", mmf_errmsg(m));
    mmf_free(m);
    return rc == 0 ? 0 : 1;
}
