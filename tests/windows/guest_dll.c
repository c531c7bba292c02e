/* guest_dll.c - someone else's DLL with a static copy of mmapfile inside
 * (linked with mmapfile_static, so no DllMain of the library's own): the
 * test loads it, uses a map through it and unloads it, and the process
 * must not be left with a handler in unmapped code. */
#include <windows.h>

#include "mmapfile.h"

__declspec(dllexport) int guest_use_a_map(void);

__declspec(dllexport) int guest_use_a_map(void)
{
    mmf_map *m = NULL;
    char got[3] = {0};
    int rc = mmf_new(&m);
    if (rc == 0)
        rc = mmf_open_anon(m, 100000, MMF_ANON_SHARED);
    if (rc == 0)
        rc = mmf_copy_in(m, 70000, "ok", 2);
    if (rc == 0)
        rc = mmf_copy_out(m, 70000, got, 2);
    mmf_free(m);
    return rc == 0 && got[0] == 'o' && got[1] == 'k' ? 0 : 1;
}
