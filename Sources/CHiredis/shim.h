#pragma once
#include <hiredis/hiredis.h>
/* redisCommand is variadic, which Swift cannot call: AssetBuildCoordination sends every command
   through redisCommandArgv. `struct timeval` is built here so Swift need not spell its fields. */
static inline struct timeval chiredis_timeval_ms(long ms) {
    struct timeval tv;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}
