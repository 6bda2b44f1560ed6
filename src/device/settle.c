/* Deferred writes of tracked state (see device.h, vkg__defer): an executor whose plan runs
 * again on the same objects in the same states leaves the last-use tickets of its imported
 * resources unwritten, and whoever reads tracked state first settles them. */
#include "device.h"

static void vkg__unlink(vkg_device *dev, vkg__deferred *d)
{
    if (d->prev) d->prev->next = d->next;
    else dev->deferred_first = d->next;
    if (d->next) d->next->prev = d->prev;
    else dev->deferred_last = d->prev;
    d->prev = d->next = NULL;
    d->pending = false;
}

void vkg__defer(vkg_device *dev, vkg__deferred *d)
{
    if (d->pending) vkg__unlink(dev, d);
    d->prev = dev->deferred_last;
    if (dev->deferred_last) dev->deferred_last->next = d;
    else dev->deferred_first = d;
    dev->deferred_last = d;
    d->pending = true;
}

/* The oldest entry. Oldest first: where two left the same track, the later submission's
 * ticket stays. */
static void vkg__settle_first(vkg_device *dev)
{
    vkg__deferred *d = dev->deferred_first;
    vkg__unlink(dev, d);
    d->flush(d);
}

void vkg__settle_one(vkg_device *dev, vkg__deferred *d)
{
    while (d->pending) vkg__settle_first(dev); /* (and the entries older than it) */
}

void vkg__tracks_settle(vkg_device *dev)
{
    while (dev->deferred_first) vkg__settle_first(dev);
}
