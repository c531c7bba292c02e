/* dll_smoke.c - the DLL build of the library loads and works through its
 * import library (run.sh checks separately, with objdump, that it exports
 * every MMF_EXTERN function of include/mmapfile.h). */
#include <stdio.h>
#include <string.h>
#include <windows.h>

#include "mmapfile.h"

int main(void)
{
    if (GetModuleHandleW(L"libmmapfile.dll") == NULL) {
        printf("dll: libmmapfile.dll is not loaded\n");
        return 1;
    }
    mmf_map *m = NULL;
    char got[6] = {0};
    uint64_t pos = 0;
    int rc = mmf_new(&m);
    if (rc == 0)
        rc = mmf_open_anon(m, 100000, MMF_ANON_SHARED);
    if (rc == 0)
        rc = mmf_copy_in(m, 70000, "hello", 5);
    if (rc == 0)
        rc = mmf_find(m, "llo", 3, 0, MMF_END, &pos);
    if (rc == 0)
        rc = mmf_copy_out(m, 70000, got, 5);
    if (rc != 0 || pos != 70002 || strcmp(got, "hello") != 0) {
        printf("dll: a map through the DLL failed: %s (%s)\n", mmf_err_name(rc),
               m != NULL ? mmf_errmsg(m) : "");
        return 1;
    }
    mmf_free(m);
    printf("dll: libmmapfile.dll loaded, a map through it works\n");
    return 0;
}
