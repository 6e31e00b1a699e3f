"""Scrapy's downloader, with a site's parallel-request limit kept under load.

Scrapy 2.19 (with the asyncio reactor) counts a request against its slot's
CONCURRENT_REQUESTS_PER_DOMAIN only once the task that downloads it first runs, one turn of the event
loop after the slot handed it out. Until then the slot looks free, so with no delay (or whenever the
loop is slow to turn, as on a loaded machine) it hands out more requests than a site allows: the
mirror saw 5 at once from a crawl allowed 2. Here a request counts from the moment it is handed
out. tests/integration/test_politeness.py watches this from the server's side.
"""
from __future__ import annotations

from scrapy.core.downloader import Downloader


class SlotKeepingDownloader(Downloader):
    def _wait_for_download(self, slot, request, queue_dfd):
        # runs when the slot hands the request out (the coroutine is created here, run later);
        # Scrapy's own _download adds it again (a set) and removes it when the download ends
        slot.transferring.add(request)
        return super()._wait_for_download(slot, request, queue_dfd)
