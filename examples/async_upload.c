/* Async upload: many host tasks each fill a block, upload it on the transfer queue and await
 * the upload's ticket. While a task waits, its worker runs the others; one watcher thread
 * covers every waiting task with a single wait on the queues' timelines. Each task then
 * reads its block back through a completion queue, which the main thread reaps and checks. */
#include <vkgraph.h>

#include <stdlib.h>
#include <string.h>

enum { TASKS = 16, BLOCK = 256 * 1024 };

typedef struct job {
    vkg_device *dev;
    vkg_uploader *up;
    vkg_cq *cq;
    uint32_t index;
    vkg_buffer buffer;
    uint8_t *data, *back; /* what was sent, what came back */
    vkg_result result;
} job;

static void upload_task(void *arg)
{
    job *j = arg;
    for (uint32_t i = 0; i < BLOCK; i++) j->data[i] = (uint8_t)(i * 31u + j->index * 7u);
    vkg_ticket t;
    j->result =
        vkg_buffer_create(j->dev, &(vkg_buffer_desc){.name = "block", .size = BLOCK}, &j->buffer);
    if (j->result == VKG_SUCCESS)
        j->result = vkg_upload_buffer(
            j->up, &(vkg_upload_buffer_desc){.buffer = j->buffer, .data = j->data, .size = BLOCK},
            &t);
    /* suspends this task (not its worker thread) until the copy is done on the GPU */
    if (j->result == VKG_SUCCESS) j->result = vkg_await(j->dev, t);
    /* the block is on the GPU: ask for it back; the completion carries this task's index */
    if (j->result == VKG_SUCCESS)
        j->result = vkg_readback(j->up,
                                 &(vkg_readback_desc){.buffer = j->buffer,
                                                      .size = BLOCK,
                                                      .dst = j->back,
                                                      .cq = j->cq,
                                                      .user_data = j->index},
                                 NULL);
}

int main(void)
{
    vkg_device *dev;
    vkg_uploader *up;
    vkg_cq *cq;
    vkg_task_runtime *rt;
    if (vkg_device_create(&(vkg_device_desc){.app_name = "async upload example"}, &dev)) return 1;
    if (vkg_uploader_create(dev, &(vkg_uploader_desc){.name = "assets", .ring_size = 4u << 20},
                            &up) ||
        vkg_cq_create(dev, 0, &cq) ||
        vkg_task_runtime_create(dev, &(vkg_task_runtime_desc){.workers = 2}, &rt))
        return 1;
    job jobs[TASKS];
    vkg_task *tasks[TASKS];
    for (uint32_t i = 0; i < TASKS; i++) {
        jobs[i] = (job){dev, up, cq, i, .data = malloc(BLOCK), .back = calloc(1, BLOCK)};
        if (!jobs[i].data || !jobs[i].back ||
            vkg_task_spawn(rt, upload_task, &jobs[i], &tasks[i]) != VKG_SUCCESS)
            return 1;
    }
    uint32_t failed = 0, wrong = 0;
    for (uint32_t i = 0; i < TASKS; i++) {
        if (vkg_task_join(tasks[i]) != VKG_SUCCESS || jobs[i].result != VKG_SUCCESS) {
            fprintf(stderr, "task %u: %s\n", i, vkg_result_name(jobs[i].result));
            failed++;
        }
    }
    /* reap one completion per readback that was started */
    for (uint32_t reaped = 0; reaped < TASKS - failed;) {
        vkg_cqe e[TASKS];
        if (vkg_cq_wait(cq, 1, UINT64_MAX) != VKG_SUCCESS) return 1;
        uint32_t n = vkg_cq_reap(cq, e, TASKS);
        for (uint32_t k = 0; k < n; k++) {
            const job *j = &jobs[e[k].user_data];
            if (e[k].result != VKG_SUCCESS || memcmp(j->data, j->back, BLOCK) != 0) wrong++;
        }
        reaped += n;
    }
    vkg_task_stats ts;
    vkg_uploader_stats us;
    vkg_task_get_stats(rt, &ts);
    vkg_uploader_get_stats(up, &us);
    uint32_t messages = vkg_device_validation_count(dev);
    printf("%u tasks uploaded %llu bytes in %llu submissions (%llu task switches); %u failed, %u "
           "read back wrong, %u validation messages\n",
           TASKS, (unsigned long long)us.bytes, (unsigned long long)us.submissions,
           (unsigned long long)ts.switches, failed, wrong, messages);

    vkg_task_runtime_destroy(rt);
    vkg_cq_destroy(cq);
    vkg_uploader_destroy(up);
    for (uint32_t i = 0; i < TASKS; i++) {
        vkg_buffer_destroy(dev, jobs[i].buffer);
        free(jobs[i].data);
        free(jobs[i].back);
    }
    vkg_device_destroy(dev);
    return failed || wrong || messages;
}
