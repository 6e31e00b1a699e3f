"""The scheduler's memory queue, bounded: past a few thousand waiting requests, the oldest wait on disk.

Scrapy's in-memory scheduler holds every request a crawl has found and not yet fetched as a
Request object (~2.5 KB each): a sitemap of 20,000 articles is 20,000 of them at once, and the
crawl's memory grows with its backlog (docs/performance.md). JOBDIR's disk queues bound that but
write every request, and every dupefilter fingerprint, to files (−5.5% pages/s, measured). This
queue behaves as Scrapy's default LifoMemoryQueue and keeps the newest requests as objects; when
more than 2 × KEEP wait, the oldest KEEP are pickled onto a stack in an anonymous temporary file,
and read back KEEP at a time once the memory runs dry. The Request objects are pickled as they
are, the spider by reference (its callbacks come back bound to the running spider, as JOBDIR's
Request.to_dict names them): 11 µs a request out and back, against 57 µs through to_dict. A
crawl whose backlog stays small never touches the disk, and an unlinked temporary file cannot
outlive a killed crawl.
"""
from __future__ import annotations

import io
import logging
import pickle
import tempfile
from array import array
from collections import deque
from types import MethodType

logger = logging.getLogger(__name__)

KEEP = 1_000  # requests moved to disk, and back, at a time; at most 2 × KEEP wait in memory
# (setting KRONIKA_SCHEDULER_KEEP: a test makes a small crawl spill)


class _RequestPickler(pickle.Pickler):
    """Requests as they are, the running spider by reference; a method bound elsewhere is refused."""

    def __init__(self, file, spider):
        super().__init__(file, protocol=5)
        self.spider = spider

    def persistent_id(self, obj):
        if obj is self.spider:
            return "spider"
        if isinstance(obj, MethodType) and obj.__self__ is not self.spider:
            # pickle would copy the object the method is bound to: the callback would run on a copy
            raise pickle.PicklingError(f"{obj.__qualname__} is not a method of the spider")
        return None


class _RequestUnpickler(pickle.Unpickler):
    def __init__(self, file, spider):
        super().__init__(file)
        self.spider = spider

    def persistent_load(self, pid):
        if pid != "spider":
            raise pickle.UnpicklingError(f"unknown reference {pid!r} in the scheduler queue")
        return self.spider


class SpillingLifoQueue:
    """Last in, first out, as Scrapy's LifoMemoryQueue; at most 2 × `keep` requests in memory."""

    def __init__(self, crawler, key: str = ""):
        self.spider = crawler.spider
        self.stats = crawler.stats
        self.key = key
        self.keep = crawler.settings.getint("KRONIKA_SCHEDULER_KEEP", KEEP)
        self.memory: deque = deque()  # oldest on the left, newest on the right
        self.spilled: array = array("Q")  # where each batch on disk starts, oldest first; each holds `keep`
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
        return len(self.memory) + len(self.spilled) * self.keep

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None

    def _spill(self) -> None:
        """The oldest `keep` requests, pickled in one batch, onto the stack on disk."""
        oldest = [self.memory[i] for i in range(self.keep)]
        buffer = io.BytesIO()
        try:
            _RequestPickler(buffer, self.spider).dump(oldest)
        except (ValueError, TypeError, AttributeError, pickle.PicklingError) as exc:
            # A request that cannot be serialised (a callback that is not a spider method, an
            # object in meta): everything waits in memory from here on, as without this queue.
            logger.warning("scheduler queue %s stays in memory: a request cannot be serialised (%s)",
                           self.key, exc)
            self.spilling = False
            return
        if self.file is None:
            self.file = tempfile.TemporaryFile(prefix="kronika-queue-")
        self.file.seek(self.end)
        batch = buffer.getbuffer()
        self.file.write(batch)
        self.spilled.append(self.end)
        self.end += len(batch)
        for _ in range(self.keep):
            self.memory.popleft()
        self.stats.inc_value("kronika/scheduler/spilled", len(oldest))

    def _reload(self) -> None:
        """The newest batch on disk back into memory (it is older than anything in memory)."""
        start = self.spilled.pop()
        self.file.seek(start)
        batch = _RequestUnpickler(io.BytesIO(self.file.read(self.end - start)), self.spider).load()
        self.end = start
        self.memory.extendleft(reversed(batch))
