/* The uploader's private state, shared by upload.c (the ring, pieces, the upload calls) and
 * readback.c (copies back to the host through the same ring). */
#ifndef VKG_UPLOAD_INTERNAL_H_
#define VKG_UPLOAD_INTERNAL_H_

#include "../async/async.h"
#include "../graph/graph.h"
enum { VKG__SPAN_FILLING, VKG__SPAN_SUBMITTED, VKG__SPAN_VOID };

typedef struct vkg__span {
    VkDeviceSize begin, end; /* [begin, end) in the ring: spans never wrap */
    vkg_ticket ticket;       /* the submission that copies from it (readback: into it) */
    uint8_t state;           /* filling (no ticket yet), submitted, void (failed) */
    /* readback: set while the data still has to be copied out to `dst` (by the watcher
     * thread, vkg__readback_hook); the span is not released before that */
    atomic_bool reading;
    void *dst;
    struct vkg_uploader *owner;
} vkg__span;

typedef struct vkg__ucmd {
    VkCommandBuffer cmd;
    vkg_queue_role role; /* of its pool */
    vkg_ticket ticket;   /* its last submission */
} vkg__ucmd;

struct vkg_uploader {
    vkg_device *dev;
    vkg__host *host;
    char name[64];
    vkg_queue_role role;
    uint32_t dq;
    uint32_t family;
    vkg_buffer ring;
    VkBuffer ring_vk;
    uint8_t *ring_map;
    vkg_allocation_info ring_memory; /* for invalidating readbacks without our locks */
    VkDeviceSize ring_size, piece_max, head;
    VkDeviceSize used, peak;
    vkg__span *spans; /* FIFO, capacity span_cap (power of two) */
    uint32_t span_head, span_count, span_cap;
    VkCommandPool pool[VKG_QUEUE_ROLE_COUNT]; /* per role copying: transfer, else made when needed */
    vkg__ucmd *cmds;
    uint32_t cmd_count, cmd_cap, cmd_next;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* a span got its ticket */
    /* a readback's span was copied out: the watcher thread says so under read_lock alone
     * (it must take none of the uploader's other locks) */
    pthread_mutex_t read_lock;
    pthread_cond_t read_done;
    vkg_uploader_stats stats;
};

typedef struct vkg__piece {
    const void *data;
    VkDeviceSize size, align;
    /* buffer destination */
    uint32_t buffer_id;
    VkDeviceSize dst_offset;
    /* image destination */
    uint32_t image_id;
    VkBufferImageCopy region;
    bool whole; /* the region covers its subresources entirely */
    vkg_access ready; /* images: the access to leave the region ready for (0: none) */
    vkg_queue_role role; /* the queue copying: transfer, or the reader's (see ready_for) */
} vkg__piece;

/* The destination of a piece as the device records it now. */
typedef struct vkg__target {
    VkBuffer buf;
    VkImage img;
    vkg__track *tracks; /* the buffer's one, or the image's mips x layers */
    uint32_t layers;
    const char *name;
    bool concurrent; /* VK_SHARING_MODE_CONCURRENT: any family may use it */
} vkg__target;

VkDeviceSize vkg__lcm4(VkDeviceSize texel);
vkg_result vkg__piece_target(vkg_uploader *up, const vkg__piece *p, vkg__target *out);
void vkg__readback_hook(void *arg, vkg_result result);
vkg_queue_role vkg__readback_role(vkg_uploader *up, const vkg__piece *p);
vkg_result vkg__ring_reserve(vkg_uploader *up, VkDeviceSize n, VkDeviceSize align,
                                    uint32_t *span, VkDeviceSize *at);
vkg_result vkg__ucmd_get(vkg_uploader *up, vkg_queue_role role, uint32_t *out);
vkg_result vkg__usubmit(vkg_uploader *up, vkg_queue_role role, VkCommandBuffer cmd,
                               const uint64_t *wq, vkg_result r, vkg_ticket *t);

#endif
