#include "vkgraph.h"

const char *vkg_result_name(vkg_result result)
{
    switch (result) {
#define VKG__RESULT_NAME(name, value, text)                                                      \
    case name:                                                                                   \
        return #name;
        VKG_RESULT_TABLE(VKG__RESULT_NAME)
#undef VKG__RESULT_NAME
    default:
        return "VKG_RESULT_UNKNOWN";
    }
}

const char *vkg_result_text(vkg_result result)
{
    switch (result) {
#define VKG__RESULT_TEXT(name, value, text)                                                      \
    case name:                                                                                   \
        return text;
        VKG_RESULT_TABLE(VKG__RESULT_TEXT)
#undef VKG__RESULT_TEXT
    default:
        return "unknown result";
    }
}

const char *vkg_queue_role_name(vkg_queue_role role)
{
    static const char *const names[VKG_QUEUE_ROLE_COUNT] = {"graphics", "compute", "transfer"};
    return (unsigned)role < VKG_QUEUE_ROLE_COUNT ? names[role] : "unknown";
}
