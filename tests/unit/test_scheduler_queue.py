"""The scheduler's spilling queue: the same order as Scrapy's LifoMemoryQueue, bounded memory."""
from __future__ import annotations

import logging
import random

import scrapy
from queuelib.queue import LifoMemoryQueue
from scrapy.utils.test import get_crawler

from kronika.spiders.queues import SpillingLifoQueue


class ListingSpider(scrapy.Spider):
    name = "listing"

    def parse_page(self, response):
        pass

    def on_error(self, failure):
        pass


def make_queue(keep: int) -> SpillingLifoQueue:
    crawler = get_crawler(ListingSpider, {"KRONIKA_SCHEDULER_KEEP": keep})
    crawler.spider = crawler._create_spider()
    crawler.stats.open_spider()
    return SpillingLifoQueue.from_crawler(crawler, "downloader/127.0.0.1/0")


class Elsewhere:
    def parse_page(self, response):
        pass


def request(queue: SpillingLifoQueue, number: int, spider_method: bool = True, callback=None) -> scrapy.Request:
    callback = callback or (queue.spider.parse_page if spider_method else (lambda response: None))
    return scrapy.Request(f"http://news.example.org/article-{number}", callback=callback,
                          meta={"kronika_role": "article", "kronika_depth": number % 3},
                          headers={"Referer": "http://news.example.org/"}, priority=number % 2)


def described(req: scrapy.Request | None):
    if req is None:
        return None
    return (req.url, req.callback.__name__, req.meta, req.headers.to_unicode_dict(), req.priority)


def test_the_order_is_last_in_first_out_across_memory_and_disk():
    spilling, reference = make_queue(keep=3), LifoMemoryQueue()
    rng = random.Random(5)
    pushed = 0
    popped = []
    for _ in range(2_000):  # bursts of pushes and pops: batches go to disk and come back, interleaved
        if rng.random() < 0.55:
            req = request(spilling, pushed)
            spilling.push(req)
            reference.push(req)
            pushed += 1
        else:
            expected = reference.pop()
            assert described(spilling.peek()) == described(expected)
            popped.append(described(spilling.pop()))
            assert popped[-1] == described(expected)
        assert len(spilling) == len(reference)
        assert len(spilling.memory) <= 2 * 3, "never more than 2 x keep requests as objects"
    while reference:
        assert described(spilling.pop()) == described(reference.pop())
    assert spilling.pop() is None and len(spilling) == 0
    assert spilling.stats.get_value("kronika/scheduler/spilled") > 0
    spilling.close()


def test_a_spilled_request_comes_back_whole():
    queue = make_queue(keep=2)
    for number in range(10):
        queue.push(request(queue, number))
    assert len(queue.memory) <= 4 and queue.spilled, "the oldest went to disk"
    back = [queue.pop() for _ in range(10)]
    assert [r.url for r in back] == [f"http://news.example.org/article-{n}" for n in reversed(range(10))]
    oldest = back[-1]
    assert oldest.callback.__self__ is queue.spider and oldest.callback.__name__ == "parse_page"
    assert oldest.meta == {"kronika_role": "article", "kronika_depth": 0}
    assert oldest.headers.get("Referer") == b"http://news.example.org/"
    queue.close()


def test_a_request_that_cannot_be_serialised_keeps_everything_in_memory(caplog):
    queue = make_queue(keep=2)
    with caplog.at_level(logging.WARNING, logger="kronika.spiders.queues"):
        queue.push(request(queue, 0, spider_method=False))  # a lambda callback: pickle cannot name it
        for number in range(1, 8):
            queue.push(request(queue, number))
    assert "cannot be serialised" in caplog.text
    assert not queue.spilled and len(queue.memory) == 8, "nothing lost, nothing reordered"
    assert [queue.pop().url.rsplit("-", 1)[1] for _ in range(8)] == [str(n) for n in reversed(range(8))]
    queue.close()


def test_a_callback_bound_to_another_object_is_not_copied_to_disk(caplog):
    queue = make_queue(keep=2)
    elsewhere = Elsewhere()
    with caplog.at_level(logging.WARNING, logger="kronika.spiders.queues"):
        queue.push(request(queue, 0, callback=elsewhere.parse_page))  # pickle would copy `elsewhere`
        for number in range(1, 8):
            queue.push(request(queue, number))
    assert "not a method of the spider" in caplog.text and not queue.spilled
    assert [queue.pop() for _ in range(8)][-1].callback.__self__ is elsewhere, "the same object, not a copy"
    queue.close()


def test_a_small_backlog_never_touches_the_disk():
    queue = make_queue(keep=1_000)
    for number in range(2_000):
        queue.push(request(queue, number))
    assert queue.file is None and len(queue) == 2_000
