/* `vkgraph run`: the first error of a run, with its message (every file reports through it). */
#include "internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

vkg_result vkgr__fail(runner *r, vkg_result code, const char *fmt, ...)
{
    pthread_mutex_lock(&r->lock);
    if (r->info->message[0] == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->info->message, sizeof r->info->message, fmt, ap);
        va_end(ap);
    }
    if (r->error == VKG_SUCCESS) r->error = code;
    pthread_mutex_unlock(&r->lock);
    return code;
}
