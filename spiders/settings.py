"""Scrapy settings shared by every Kronika crawl; per-source values arrive at 'cmdline' priority.

Persistence and side effects live in components wired here (Scrapy's own split): the network
guard and the WARC recorder sit next to the download handler, so on the way back they see each
response first, before it is decompressed, redirected or retried.
"""
BOT_NAME = "kronika"
SPIDER_MODULES = ["kronika.spiders.spiders"]
NEWSPIDER_MODULE = "kronika.spiders.spiders"

DOWNLOADER_MIDDLEWARES = {
    "kronika.spiders.proxy.SourceProxyMiddleware": 740,
    # just outside RetryMiddleware (550): 429/503 wait as long as the server asks (Retry-After)
    "kronika.spiders.retryafter.RetryAfterMiddleware": 560,
    "kronika.spiders.netguard.PrivateNetworkGuardMiddleware": 995,
    "kronika.spiders.recorder.WarcRecorderMiddleware": 990,
}

# the network guard's connect-time check: a host name resolving to a private address is refused
TWISTED_DNS_RESOLVER = "kronika.spiders.netguard.GuardedResolver"

# Requests waiting beyond a few thousand go to an anonymous temporary file (spiders/queues.py):
# a crawl's memory stays flat however long its backlog, at no cost to a small crawl.
SCHEDULER_MEMORY_QUEUE = "kronika.spiders.queues.SpillingLifoQueue"

ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False  # news pages do not need them, and a cookie is a secret in a WARC
TELNETCONSOLE_ENABLED = False
HTTPCACHE_ENABLED = False
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_AFTER_HTTP_CODES = [429, 503]
RETRY_AFTER_MAX_TIMES = 3
RETRY_AFTER_MAX_DELAY = 300  # seconds: a longer Retry-After is capped (and retried then)
RETRY_AFTER_BASE_DELAY = 5  # seconds, doubled per attempt, when no Retry-After is given
AUTOTHROTTLE_ENABLED = False  # per source: `autothrottle: true`
REDIRECT_MAX_TIMES = 10
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20_000_000
DOWNLOAD_WARNSIZE = 5_000_000
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
# the delay is the least gap between two requests to a site (docs/sources.md); Scrapy's default
# jitter (a random 0.5x to 1.5x of it) would make some gaps shorter
DOWNLOAD_DELAY_JITTER = 0.0
# keeps CONCURRENT_REQUESTS_PER_DOMAIN when the event loop is slow to turn (spiders/downloader.py)
DOWNLOADER = "kronika.spiders.downloader.SlotKeepingDownloader"
LOG_LEVEL = "INFO"
# Responses of any status reach the spider, so a 404 of a known article is seen (and archived).
HTTPERROR_ALLOW_ALL = True
