#include "util.h"

void vkg__pool_init(vkg__pool *pool, uint32_t item_size)
{
    memset(pool, 0, sizeof *pool);
    /* keep every item 16-byte aligned inside its chunk */
    pool->item_size = (item_size + 15u) & ~15u;
}

void vkg__pool_destroy(const vkg__host *host, vkg__pool *pool)
{
    for (uint32_t i = 0; i < pool->chunk_count; i++) vkg__free(host, pool->chunks[i]);
    vkg__free(host, pool->chunks);
    vkg__free(host, pool->generation);
    vkg__free(host, pool->alive);
    vkg__free(host, pool->serial);
    vkg__free(host, pool->free_list);
    uint32_t item_size = pool->item_size;
    memset(pool, 0, sizeof *pool);
    pool->item_size = item_size;
}

static inline void *vkg__pool_item(const vkg__pool *pool, uint32_t index)
{
    return pool->chunks[index / VKG__POOL_CHUNK] +
           (size_t)(index % VKG__POOL_CHUNK) * pool->item_size;
}

static bool vkg__pool_reserve_slot(const vkg__host *host, vkg__pool *pool)
{
    uint32_t index = pool->used;
    if (index >= VKG__HANDLE_MAX_SLOTS) return false;
    if (index / VKG__POOL_CHUNK >= pool->chunk_count) {
        if (!vkg__grow(host, (void **)&pool->chunks, &pool->chunk_capacity,
                       pool->chunk_count + 1, sizeof(uint8_t *)))
            return false;
        uint8_t *chunk = vkg__alloc(host, (size_t)VKG__POOL_CHUNK * pool->item_size);
        if (!chunk) return false;
        pool->chunks[pool->chunk_count++] = chunk;
    }
    if (index >= pool->slot_capacity) {
        /* four parallel arrays grow to the same capacity; each grow is all-or-nothing */
        uint32_t cap = pool->slot_capacity;
        uint32_t c1 = cap, c2 = cap, c3 = cap, c4 = cap;
        if (!vkg__grow(host, (void **)&pool->generation, &c1, index + 1, sizeof(uint16_t)))
            return false;
        if (!vkg__grow(host, (void **)&pool->alive, &c2, c1, sizeof(uint8_t))) return false;
        if (!vkg__grow(host, (void **)&pool->free_list, &c3, c1, sizeof(uint32_t)))
            return false;
        if (!vkg__grow(host, (void **)&pool->serial, &c4, c1, sizeof(uint64_t))) return false;
        pool->slot_capacity = c1;
    }
    pool->generation[index] = 1;
    pool->alive[index] = 0;
    pool->serial[index] = 0;
    pool->free_list[pool->free_count++] = index;
    pool->used++;
    return true;
}

void *vkg__pool_alloc(const vkg__host *host, vkg__pool *pool, uint32_t *out_id)
{
    if (pool->free_count == 0 && !vkg__pool_reserve_slot(host, pool)) return NULL;
    uint32_t index = pool->free_list[--pool->free_count];
    pool->alive[index] = 1;
    pool->serial[index] = ++pool->next_serial;
    pool->live++;
    *out_id = ((uint32_t)pool->generation[index] << VKG__HANDLE_INDEX_BITS) | (index + 1u);
    void *item = vkg__pool_item(pool, index);
    memset(item, 0, pool->item_size);
    return item;
}

static bool vkg__pool_decode(const vkg__pool *pool, uint32_t id, uint32_t *out_index)
{
    uint32_t low = id & VKG__HANDLE_INDEX_MASK;
    if (low == 0) return false;
    uint32_t index = low - 1u;
    if (index >= pool->used || !pool->alive[index]) return false;
    if (pool->generation[index] != (id >> VKG__HANDLE_INDEX_BITS)) return false;
    *out_index = index;
    return true;
}

void *vkg__pool_get(const vkg__pool *pool, uint32_t id)
{
    uint32_t index;
    return vkg__pool_decode(pool, id, &index) ? vkg__pool_item(pool, index) : NULL;
}

void vkg__pool_free(vkg__pool *pool, uint32_t id)
{
    uint32_t index;
    if (!vkg__pool_decode(pool, id, &index)) return;
    pool->alive[index] = 0;
    pool->serial[index] = 0;
    uint16_t g = (uint16_t)((pool->generation[index] + 1u) & 0xfffu);
    pool->generation[index] = g ? g : 1; /* 12 bits, skipping 0 */
    pool->free_list[pool->free_count++] = index;
    pool->live--;
    pool->frees++;
}

void *vkg__pool_at(const vkg__pool *pool, uint32_t index, uint32_t *out_id)
{
    if (index >= pool->used || !pool->alive[index]) return NULL;
    if (out_id)
        *out_id = ((uint32_t)pool->generation[index] << VKG__HANDLE_INDEX_BITS) | (index + 1u);
    return vkg__pool_item(pool, index);
}
