/* search.c - placeholder kernels (naive); the fast searcher replaces this. */
#include "internal.h"

#include <string.h>

const char *mmf__memmem(const char *hay, size_t hlen, const char *needle,
                        size_t nlen)
{
    if (nlen == 0 || hlen < nlen)
        return NULL;
    const char *last = hay + (hlen - nlen);
    for (const char *p = hay; p <= last; p++) {
        p = memchr(p, needle[0], (size_t)(last - p) + 1);
        if (p == NULL)
            return NULL;
        if (memcmp(p, needle, nlen) == 0)
            return p;
    }
    return NULL;
}

const char *mmf__memrmem(const char *hay, size_t hlen, const char *needle,
                         size_t nlen)
{
    if (nlen == 0 || hlen < nlen)
        return NULL;
    for (size_t i = hlen - nlen + 1; i-- > 0;)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, nlen) == 0)
            return hay + i;
    return NULL;
}
