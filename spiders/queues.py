"""The scheduler's memory queue, bounded: past a few thousand waiting requests, the oldest wait on disk.

Scrapy's in-memory scheduler holds every request a crawl has found and not yet fetched as a
Request object (~2.5 KB each): a sitemap of 20,000 articles is 20,000 of them at once, and the
crawl's memory grows with its backlog (docs/performance.md). JOBDIR's disk queues bound that but
write every request, and every dupefilter fingerprint, to files (−5.5% pages/s, measured). This
queue behaves as Scrapy's default LifoMemoryQueue and keeps the newest requests as objects; when
more than 2 × KEEP wait, the oldest KEEP are serialised as Scrapy serialises them for JOBDIR
(Request.to_dict, pickle) onto a stack in an anonymous temporary file, and read back KEEP at a
time once the memory runs dry. A crawl whose backlog stays small never touches the disk, and an
unlinked temporary file cannot outlive a killed crawl.
"""
from __future__ import annotations

import logging
import pickle
import tempfile
from array import array
from collections import deque

from scrapy.utils.request import request_from_dict

logger = logging.getLogger(__name__)

KEEP = 1_000  # requests moved to disk, and back, at a time; at most 2 × KEEP wait in memory
# (setting KRONIKA_SCHEDULER_KEEP: a test makes a small crawl spill)


class SpillingLifoQueue:
    """Last in, first out, as Scrapy's LifoMemoryQueue; at most 2 × `keep` requests in memory."""

    def __init__(self, crawler, key: str = ""):
        self.spider = crawler.spider
        self.stats = crawler.stats
        self.key = key
        self.keep = crawler.settings.getint("KRONIKA_SCHEDULER_KEEP", KEEP)
        self.memory: deque = deque()  # oldest on the left, newest on the right
        self.spilled: array = array("Q")  # where each batch on disk starts, oldest first
        self.spilled_requests: list[int] = []  # requests in each batch on disk
        self.file = None
        self.end = 0  # where the next batch is written (the file is a stack: it never shrinks)
        self.spilling = True

    @classmethod
    def from_crawler(cls, crawler, key: str = "", *args, **kwargs) -> SpillingLifoQueue:
        return cls(crawler, key)

    def push(self, request) -> None:
        self.memory.append(request)
        if self.spilling and len(self.memory) > 2 * self.keep:
            self._spill()

    def pop(self):
        if not self.memory and self.spilled:
            self._reload()
        return self.memory.pop() if self.memory else None

    def peek(self):
        if not self.memory and self.spilled:
            self._reload()
        return self.memory[-1] if self.memory else None

    def __len__(self) -> int:
        return len(self.memory) + sum(self.spilled_requests)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def _spill(self) -> None:
        """The oldest `keep` requests, pickled in one batch, onto the stack on disk."""
        oldest = [self.memory[i] for i in range(self.keep)]
        try:
            batch = pickle.dumps([request.to_dict(spider=self.spider) for request in oldest], protocol=4)
        except (ValueError, TypeError, AttributeError, pickle.PicklingError) as exc:
            # A request Scrapy cannot serialise (a callback that is not a spider method, an
            # object in meta): everything waits in memory from here on, as without this queue.
            logger.warning("scheduler queue %s stays in memory: a request cannot be serialised (%s)",
                           self.key, exc)
            self.spilling = False
            return
        if self.file is None:
            self.file = tempfile.TemporaryFile(prefix="kronika-queue-")
        self.file.seek(self.end)
        self.file.write(batch)
        self.spilled.append(self.end)
        self.spilled_requests.append(len(oldest))
        self.end += len(batch)
        for _ in range(self.keep):
            self.memory.popleft()
        self.stats.inc_value("kronika/scheduler/spilled", len(oldest))

    def _reload(self) -> None:
        """The newest batch on disk back into memory (it is older than anything in memory)."""
        start = self.spilled.pop()
        self.spilled_requests.pop()
        self.file.seek(start)
        batch = pickle.loads(self.file.read(self.end - start))
        self.end = start
        self.memory.extendleft(request_from_dict(d, spider=self.spider) for d in reversed(batch))
