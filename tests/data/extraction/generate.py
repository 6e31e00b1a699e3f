"""Write the extraction dataset: each story of stories.py dressed in one of nine page templates.

    .venv/bin/python tests/data/extraction/generate.py

Each page `NN-template-slug.html` gets `NN-template-slug.json` beside it with the ground truth:
url, template, language, title, authors, published (ISO 8601 with the outlet's offset), body (the
paragraphs a reader sees, one per line, in order), paywalled. The templates imitate real CMS
families (wire service, live blog, opinion column with comments, paywalled teaser, microdata
explainer, WordPress regional, short-news portal, Yoast @graph, an old table layout) with the
furniture that trips extractors: menus, promos, inline "read also" links, captions, share bars,
author bios, pull quotes, comments, teaser lists with their own paragraphs, cookie banners.
"""
from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from stories import EN, RU, UK  # noqa: E402

EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")
UK_MONTHS = ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня",
             "жовтня", "листопада", "грудня")
RU_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
             "октября", "ноября", "декабря")


def e(text: str) -> str:
    return escape(text, quote=True)


def ps(paragraphs: list[str]) -> str:
    return "\n".join(f"<p>{e(p)}</p>" for p in paragraphs)


def ld(data: dict) -> str:
    return ('<script type="application/ld+json">' + json.dumps(data, ensure_ascii=False, indent=1)
            + "</script>")


def when(story: dict) -> datetime:
    return datetime.fromisoformat(story["published"])


def en_date(dt: datetime) -> str:
    return f"{dt.day} {EN_MONTHS[dt.month - 1]} {dt.year}"


def modified_meta(story: dict) -> str:
    return f'\n<meta property="article:modified_time" content="{story["modified"]}">' if "modified" in story else ""


def updated_explainer(story: dict) -> str:
    if "modified" not in story:
        return ""
    m = datetime.fromisoformat(story["modified"])
    return f' · Last updated <time itemprop="dateModified" datetime="{story["modified"]}">{en_date(m)}</time>'


def updated_uk(story: dict) -> str:
    if "modified" not in story:
        return ""
    m = datetime.fromisoformat(story["modified"])
    return (f' <span class="updated-on">Оновлено: <time class="updated" datetime="{story["modified"]}">'
            f'{m.day} {UK_MONTHS[m.month - 1]} {m.year}, {m:%H:%M}</time></span>')


def updated_ru(story: dict) -> str:
    if "modified" not in story:
        return ""
    return f' <span class="date-updated">(обновлено {datetime.fromisoformat(story["modified"]):%d.%m.%Y %H:%M})</span>'


def updated_wire(story: dict) -> str:
    if "modified" not in story:
        return ""
    m = datetime.fromisoformat(story["modified"])
    return f'<span class="updated">Updated <time datetime="{story["modified"]}">{en_date(m)} {m:%H:%M} GMT</time></span>'


COOKIE = ('<div class="cookie-consent" role="dialog"><p>We use cookies to improve your experience and to '
          'show personalised advertising. By continuing you agree to our cookie policy.</p>'
          '<button>Accept all</button> <button>Manage settings</button></div>')


# ---- 1. wire service: JSON-LD NewsArticle, byline links, sign-off credit, related box in the body
def wire_en(story: dict, n: int) -> tuple[str, str, dict]:
    url = f"https://wire.kronika.test/world/europe/{story['slug']}-2026-01-{when(story).day:02d}/"
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": story["title"],
            "datePublished": story["published"], "dateModified": story.get("modified", story["published"]),
            "author": [{"@type": "Person", "name": a, "url": f"https://wire.kronika.test/authors/{i}"}
                       for i, a in enumerate(story["authors"])],
            "publisher": {"@type": "NewsMediaOrganization", "name": "Kronika Wire"},
            "image": ["https://wire.kronika.test/resizer/photo-%d.jpg" % n], "articleSection": "Europe",
            "keywords": ["Zarichansk", "Ukraine", "infrastructure"], "inLanguage": "en"}
    byline = " and ".join(f'<a href="/authors/{i}" rel="author">{e(a)}</a>' for i, a in enumerate(story["authors"]))
    body = story["paragraphs"]
    half = (len(body) + 1) // 2
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{e(story['title'])} | Kronika Wire</title>
<meta name="description" content="{e(body[0][:150])}">
<meta property="og:title" content="{e(story['title'])}"><meta property="og:image" content="https://wire.kronika.test/resizer/photo-{n}.jpg">
<link rel="canonical" href="{url}">
{ld(data)}</head><body>{COOKIE}
<header class="site-header"><a href="/">Kronika Wire</a><nav><ul><li><a href="/world/">World</a></li><li><a href="/business/">Business</a></li><li><a href="/markets/">Markets</a></li><li><a href="/sustainability/">Sustainability</a></li><li><a href="/legal/">Legal</a></li></ul></nav></header>
<main id="main-content"><article>
<nav class="breadcrumbs"><a href="/">Home</a> <a href="/world/">World</a> <a href="/world/europe/">Europe</a></nav>
<h1 data-testid="Heading">{e(story['title'])}</h1>
<div class="article-byline">By {byline}</div>
<div class="article-dateline"><time datetime="{story['published']}">{en_date(when(story))} {when(story):%H:%M} GMT</time> {updated_wire(story)}</div>
<figure><img src="/resizer/photo-{n}.jpg" alt=""><figcaption>A view of Zarichansk, Ukraine, in a file photo. Kronika Wire/File Photo. Purchase Licensing Rights</figcaption></figure>
<div class="article-body">
{ps(body[:half])}
<div class="related-coverage"><h3>Related coverage</h3><ul><li><a href="/world/a/">Ukraine says air defences down 30 drones overnight</a></li><li><a href="/world/b/">Power exports suspended after grid attack</a></li></ul></div>
{ps(body[half:])}
<p class="sign-off">Reporting by {e(' and '.join(story['authors']))}; Editing by Tom Hale</p>
</div>
<div class="trust"><p>Our Standards: The Kronika Wire Trust Principles.</p></div>
<div class="share-bar"><button>Share</button><button>X</button><button>Facebook</button><button>LinkedIn</button></div>
</article>
<section class="more"><h2>More from Kronika Wire</h2><ul><li><a href="/x/">Central bank holds rates, signals patience on easing</a></li><li><a href="/y/">Wheat futures climb as Black Sea risks weigh</a></li><li><a href="/z/">Talks on prisoner exchange resume, sources say</a></li></ul></section>
</main>
<footer><p>All quotes delayed a minimum of 15 minutes. © 2026 Kronika Wire. All rights reserved.</p><a href="/privacy">Privacy</a> <a href="/terms">Terms of use</a></footer>
</body></html>"""
    return url, html, {}


# ---- 2. live blog: LiveBlogPosting JSON-LD, timestamped posts, key events, per-post share bars
def liveblog_en(story: dict, n: int) -> tuple[str, str, dict]:
    url = f"https://ledger.kronika.test/world/live/2026/jan/{when(story).day:02d}/{story['slug']}-live"
    start = when(story)
    posts = []
    updates = []
    for i, paragraph in enumerate(story["paragraphs"]):
        t = start + timedelta(minutes=17 * i)
        posts.append((t, paragraph))
        updates.append({"@type": "BlogPosting", "datePublished": t.isoformat(), "articleBody": paragraph,
                        "headline": paragraph[:60]})
    posts.reverse()  # newest first, as live blogs show them
    data = {"@context": "https://schema.org", "@type": "LiveBlogPosting", "headline": story["title"] + " – live",
            "coverageStartTime": story["published"], "datePublished": story["published"],
            "dateModified": posts[0][0].isoformat(),
            "author": [{"@type": "Person", "name": a} for a in story["authors"]],
            "liveBlogUpdate": updates[::-1], "inLanguage": "en-GB"}
    blocks = "\n".join(
        f'<article class="live-post" id="post-{i}"><header class="post-header"><time datetime="{t.isoformat()}">'
        f'{t:%H.%M} GMT</time></header><div class="post-body"><p>{e(p)}</p></div>'
        f'<div class="post-share"><a href="#post-{i}">Share</a> <a>Copy link</a></div></article>'
        for i, (t, p) in enumerate(posts))
    html = f"""<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>{e(story['title'])} – live | World news | The Zarichna Ledger</title>
<meta property="og:title" content="{e(story['title'])} – live">
{ld(data)}</head><body>
<nav class="pillars"><a href="/">News</a> <a href="/opinion">Opinion</a> <a href="/sport">Sport</a> <a href="/culture">Culture</a> <a href="/lifestyle">Lifestyle</a></nav>
<div class="support-banner"><p>Support the Ledger: fund independent journalism with £1 a month.</p><a>Support us</a></div>
<main><div class="live-header"><h1>{e(story['title'])} – live</h1>
<p class="live-byline">{e(', '.join(story['authors']))}</p>
<p class="live-standfirst">Latest updates from Zarichansk.</p></div>
<aside class="key-events"><h2>Key events</h2><ul>{''.join(f'<li><a href="#post-{i}">{t:%H.%M} {e(p[:50])}</a></li>' for i, (t, p) in enumerate(posts[:3]))}</ul></aside>
<div class="live-feed">
{blocks}
</div>
<div class="pagination"><a>Newest</a> <a>Previous</a> 1 of 1 <a>Next</a> <a>Oldest</a></div>
</main>
<section class="most-viewed"><h2>Most viewed</h2><ol><li><a>Storm brings heavy snow to the west of the country</a></li><li><a>The long read: life on the river</a></li><li><a>Crossword: cryptic No 30,112</a></li></ol></section>
<footer><p>© 2026 The Zarichna Ledger. All rights reserved.</p></footer></body></html>"""
    # the blog's modification time is its newest post
    return url, html, {"title": story["title"] + " – live", "body": [p for _, p in posts],
                       "modified": posts[0][0].isoformat()}


# ---- 3. opinion column: no JSON-LD, meta author, standfirst, pull quote, author bio, comments
def opinion_en(story: dict, n: int) -> tuple[str, str, dict]:
    url = f"https://ledger.kronika.test/commentisfree/2026/jan/{when(story).day:02d}/{story['slug']}"
    body = story["paragraphs"]
    author = story["authors"][0]
    html = f"""<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<title>{e(story['title'])} | {e(author)} | The Zarichna Ledger</title>
<meta name="author" content="{e(author)}">
<meta property="og:title" content="{e(story['title'])}">
<meta property="og:description" content="Columnist {e(author)} on the war's quieter moments">
<meta property="article:published_time" content="{story['published']}">
<meta property="article:section" content="Opinion">{modified_meta(story)}
<meta property="og:image" content="https://ledger.kronika.test/img/columnists/{n}.jpg">
</head><body>
<nav class="pillars"><a href="/">News</a> <a href="/opinion">Opinion</a> <a href="/sport">Sport</a> <a href="/culture">Culture</a></nav>
<main><article>
<div class="series">Opinion</div>
<h1>{e(story['title'])}</h1>
<div class="standfirst"><p>Columnist {e(author)} on the war's quieter moments, and what they ask of the rest of us</p></div>
<address class="byline">By <a rel="author" href="/profile/x">{e(author)}</a></address>
<div class="meta-date">{en_date(when(story))}</div>
<div class="column-body">
<p>{e(body[0])}</p>
<aside class="pull-quote"><blockquote>{e(body[1][:90])}</blockquote></aside>
{ps(body[1:])}
</div>
<div class="author-bio"><p>{e(author)} is a columnist for the Ledger who writes about life in frontline cities.</p></div>
<div class="article-tags"><a href="/tags/ukraine">Ukraine</a> <a href="/tags/war">War</a> <a href="/tags/society">Society</a></div>
</article>
<section id="comments"><h2>Comments (3)</h2>
<div class="comment"><p class="comment-author">riverwatcher</p><p>Beautifully written. It is the small details that stay with you long after the news has moved on.</p></div>
<div class="comment"><p class="comment-author">kmk1974</p><p>My grandmother spent nights like these in the same city, eighty years ago. Some things never change.</p></div>
<div class="comment"><p class="comment-author">anon</p><p>Why is this an opinion piece and not a report? The paper should be clearer about it.</p></div>
</section></main>
<footer><p>© 2026 The Zarichna Ledger. All rights reserved.</p></footer></body></html>"""
    return url, html, {"authors": [author]}


# ---- 4. paywalled teaser: JSON-LD isAccessibleForFree=false, two free paragraphs, a subscribe box
def paywall_en(story: dict, n: int) -> tuple[str, str, dict]:
    url = f"https://ledger-business.kronika.test/news/{story['slug']}"
    data = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": story["title"],
            "datePublished": story["published"], "author": [{"@type": "Person", "name": a} for a in story["authors"]],
            "isAccessibleForFree": "False",
            "hasPart": {"@type": "WebPageElement", "isAccessibleForFree": "False", "cssSelector": ".locked"},
            "description": story["paragraphs"][0][:140], "image": {"@type": "ImageObject", "url": f"/img/{n}.jpg"}}
    teaser = story["paragraphs"][:2]
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{e(story['title'])} - Ledger Business</title>
{ld(data)}<meta property="article:content_tier" content="locked"></head><body>
<header><a href="/">Ledger Business</a> <a href="/subscribe">Subscribe</a> <a href="/login">Sign in</a></header>
<main><article>
<h1 class="headline">{e(story['title'])}</h1>
<p class="byline">By {e(' and '.join(story['authors']))}</p>
<time datetime="{story['published']}">{en_date(when(story))}</time>
<div class="article-body">
{ps(teaser)}
</div>
<div class="locked paywall-offer"><h3>Subscribe to keep reading</h3><p>Get unlimited access to Ledger Business journalism from £1 a week. Cancel anytime.</p><p><a href="/subscribe">See subscription options</a></p><p>Already a subscriber? <a href="/login">Sign in</a></p></div>
</article></main>
<footer><p>Ledger Business is a trading name of Ledger Media Ltd. © 2026.</p></footer></body></html>"""
    return url, html, {"body": teaser, "paywalled": True, "modified": None}


# ---- 5. explainer with microdata: itemprop articleBody, subheads and a bulleted list in the body
def explainer_en(story: dict, n: int) -> tuple[str, str, dict]:
    url = f"https://explained.kronika.test/{story['slug']}.html"
    p = story["paragraphs"]
    blocks = [p[0], "Key points", p[1], p[2], "What happens next", *p[3:]]
    authors = "".join(f'<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">{e(a)}</span></span>'
                      + (", " if i < len(story["authors"]) - 1 else "") for i, a in enumerate(story["authors"]))
    html = f"""<!doctype html><html><head><meta charset="utf-8"><title>Explained: {e(story['title'])}</title>
<meta name="viewport" content="width=device-width"></head><body>
<div class="topbar"><a href="/">Explained</a> · <a href="/newsletter">Get the newsletter</a></div>
<article itemscope itemtype="https://schema.org/NewsArticle">
<h1 itemprop="headline">{e(story['title'])}</h1>
<div class="byline">{authors} · <time itemprop="datePublished" datetime="{story['published']}">{en_date(when(story))}</time>{updated_explainer(story)}</div>
<nav class="toc"><h2>In this article</h2><ol><li><a href="#k">Key points</a></li><li><a href="#n">What happens next</a></li></ol></nav>
<div itemprop="articleBody">
<p>{e(p[0])}</p>
<h2 id="k">Key points</h2>
<ul><li>{e(p[1])}</li><li>{e(p[2])}</li></ul>
<h2 id="n">What happens next</h2>
{ps(p[3:])}
<div class="newsletter-signup"><p>Get explainers like this one in your inbox every Friday.</p><form><input type="email"><button>Sign up</button></form></div>
</div></article>
<footer><p>Explained is an independent, reader-funded publication. Contact: desk@explained.kronika.test</p></footer>
</body></html>"""
    return url, html, {"body": blocks}


# ---- 6. Ukrainian WordPress: no JSON-LD, entry-content with "Читайте також", captions, share bar
def uk_wordpress(story: dict, n: int) -> tuple[str, str, dict]:
    dt = when(story)
    url = f"https://oblast-vistnyk.kronika.test/{dt:%Y/%m}/{story['slug']}/"
    p = story["paragraphs"]
    label = "Автори" if len(story["authors"]) > 1 else "Автор"
    html = f"""<!DOCTYPE html><html lang="uk"><head><meta charset="UTF-8"><title>{e(story['title'])} &#8211; Обласний вісник</title>
<meta property="og:locale" content="uk_UA"><meta property="og:type" content="article">
<meta property="og:title" content="{e(story['title'])}"><meta property="og:site_name" content="Обласний вісник">
<meta property="og:image" content="https://oblast-vistnyk.kronika.test/wp-content/uploads/{dt:%Y/%m}/foto-{n}.jpg">
</head><body class="post-template-default single single-post">
<div id="page" class="site"><header id="masthead"><p class="site-title"><a href="/">Обласний вісник</a></p>
<nav class="main-navigation"><ul><li><a href="/category/novyny/">Новини</a></li><li><a href="/category/suspilstvo/">Суспільство</a></li><li><a href="/category/ekonomika/">Економіка</a></li><li><a href="/category/sport/">Спорт</a></li></ul></nav></header>
<div id="content" class="site-content"><div id="primary" class="content-area"><main id="main">
<article id="post-{1000 + n}" class="post type-post status-publish format-standard">
<header class="entry-header"><h1 class="entry-title">{e(story['title'])}</h1>
<div class="entry-meta"><span class="posted-on"><time class="entry-date published" datetime="{story['published']}">{dt.day} {UK_MONTHS[dt.month - 1]} {dt.year}</time></span>{updated_uk(story)}
<span class="byline">{label}: {', '.join(f'<span class="author vcard"><a class="url fn n" href="/author/{i}/">{e(a)}</a></span>' for i, a in enumerate(story['authors']))}</span>
<span class="cat-links"><a href="/category/suspilstvo/" rel="category tag">Суспільство</a></span></div></header>
<div class="entry-content">
<p>{e(p[0])}</p>
<figure class="wp-block-image"><img src="/wp-content/uploads/foto-{n}.jpg"><figcaption>Фото: пресслужба міської ради</figcaption></figure>
<p><strong>Читайте також:</strong> <a href="/2026/01/inshyi-material/">Як працюватимуть пункти незламності у морози</a></p>
{ps(p[1:])}
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Поділитися:</h3><ul><li><a>Facebook</a></li><li><a>Telegram</a></li><li><a>Viber</a></li></ul></div>
</div>
<footer class="entry-footer"><span class="tags-links">Мітки: <a href="/tag/zarichansk/" rel="tag">Зарічанськ</a>, <a href="/tag/misto/" rel="tag">місто</a></span></footer>
</article>
<nav class="post-navigation"><a rel="prev">Попередній запис: У Зарічанську пройшов благодійний ярмарок</a> <a rel="next">Наступний запис: Прогноз погоди на вихідні</a></nav>
</main></div>
<aside id="secondary" class="widget-area"><section class="widget widget_recent_entries"><h2 class="widget-title">Популярне</h2><ul>
<li><a>У Зарічанську відкрили новий сквер</a><p>Сквер облаштували на місці колишнього пустиря, тепер там є лавки та дитячий майданчик.</p></li>
<li><a>Графіки відключень на тиждень</a><p>Енергетики оприлюднили нові графіки погодинних відключень для всіх черг.</p></li>
</ul></section></aside></div>
<footer id="colophon" class="site-footer"><p>© 2026 Обласний вісник. Усі права захищені. Використання матеріалів дозволяється за умови посилання.</p></footer></div>
</body></html>"""
    return url, html, {}


# ---- 7. short news portal (uk): JSON-LD, one or two paragraphs, a long teaser list below
def short_uk(story: dict, n: int) -> tuple[str, str, dict]:
    url = f"https://novyny24.kronika.test/news/{when(story):%Y/%m/%d}/{story['slug']}"
    body = story["paragraphs"][:2] if len(story["paragraphs"]) > 2 else story["paragraphs"][:1]
    data = {"@context": "http://schema.org", "@type": "NewsArticle", "headline": story["title"],
            "datePublished": story["published"], "inLanguage": "uk-UA",
            "author": {"@type": "Person", "name": story["authors"][0]},
            "publisher": {"@type": "Organization", "name": "Новини 24"}}
    teasers = [
        ("Уряд продовжив програму компенсацій за пошкоджене житло", "Програма діятиме до кінця року, подати заявку можна через застосунок або в ЦНАП."),
        ("Синоптики попередили про сильні морози", "У більшості областей температура вночі опуститься до мінус двадцяти градусів."),
        ("Енергетики відновили живлення у трьох областях", "Ремонтні бригади працювали всю ніч, щоб повернути світло в домівки."),
        ("Залізниця призначила додаткові поїзди на свята", "Квитки на нові рейси вже можна придбати онлайн і в касах вокзалів."),
    ]
    teaser_html = "".join(f'<div class="news-item"><a class="news-item__title">{e(t)}</a><p class="news-item__lead">{e(l)}</p></div>'
                          for t, l in teasers)
    html = f"""<!doctype html><html lang="uk"><head><meta charset="utf-8"><title>{e(story['title'])} | Новини 24</title>
{ld(data)}</head><body>
<header class="header"><a class="logo" href="/">Новини 24</a><ul class="menu"><li>Політика</li><li>Економіка</li><li>Світ</li><li>Регіони</li></ul></header>
<div class="layout"><div class="layout__main">
<div class="article"><h1 class="article__title">{e(story['title'])}</h1>
<div class="article__info"><span class="article__author">{e(story['authors'][0])}</span> <span class="article__date">{when(story):%d.%m.%Y, %H:%M}</span></div>
<div class="news-text">
{ps(body)}
<p class="promo-telegram">Підписуйтесь на наш Telegram-канал, щоб першими дізнаватися новини.</p>
</div></div>
<div class="block-main-news"><h2>Головне за день</h2>{teaser_html}</div>
</div><div class="layout__side"><div class="banner">Реклама</div></div></div>
<footer class="footer"><p>Новини 24 — усі новини України. Використання матеріалів лише з гіперпосиланням.</p></footer></body></html>"""
    return url, html, {"body": body, "authors": story["authors"][:1], "modified": None}


# ---- 8. Russian-language Yoast site: JSON-LD @graph with an author @id, promos inside the text
def ru_graph(story: dict, n: int) -> tuple[str, str, dict]:
    url = f"https://zarichna-pravda.kronika.test/news/{story['slug']}/"
    persons = [{"@type": "Person", "@id": f"https://zarichna-pravda.kronika.test/#/schema/person/{i}", "name": a}
               for i, a in enumerate(story["authors"])]
    graph = {"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "@id": "https://zarichna-pravda.kronika.test/#website", "name": "Заречная правда"},
        {"@type": "WebPage", "@id": url, "url": url, "name": story["title"] + " - Заречная правда",
         "inLanguage": "ru-RU"},
        {"@type": "Article", "@id": url + "#article", "isPartOf": {"@id": url}, "headline": story["title"],
         "datePublished": story["published"], "dateModified": story.get("modified", story["published"]),
         "author": [{"@id": p["@id"]} for p in persons], "inLanguage": "ru-RU", "articleSection": ["Город"],
         "keywords": "Зарічанск, город"},
        *persons]}
    p = story["paragraphs"]
    html = f"""<!DOCTYPE html><html lang="ru-RU"><head><meta charset="UTF-8"><title>{e(story['title'])} - Заречная правда</title>
<meta property="og:locale" content="ru_RU"><meta property="og:title" content="{e(story['title'])}">
{ld(graph)}</head><body>
<div class="top-line">Курс валют · Погода: −12°</div>
<header><div class="logo">Заречная правда</div><nav><a>Город</a> <a>Область</a> <a>Страна</a> <a>Мир</a> <a>Спорт</a></nav></header>
<div class="container"><div class="content"><article>
<h1 class="post-title">{e(story['title'])}</h1>
<div class="post-info"><span class="post-author">{e(', '.join(story['authors']))}</span> · <span class="views">Просмотров: 1 2{n}4</span></div>
<div class="entry-content">
<p>{e(p[0])}</p>
<div class="read-also"><b>Читайте также:</b> <a href="/news/x/">В Зарічанске открылся новый пункт несокрушимости</a></div>
<figure><img src="/uploads/{n}.jpg"><figcaption>Фото: пресс-служба горсовета</figcaption></figure>
{ps(p[1:])}
<div class="ad-slot">Реклама</div>
<p>Подписывайтесь на наш <a href="https://t.me/x">Telegram-канал</a>, чтобы первыми узнавать главные новости города.</p>
</div>
<div class="post-tags">Метки: <a rel="tag">Зарічанск</a> <a rel="tag">город</a></div>
</article>
<div class="comments-area"><h3>Комментарии</h3><p>Для комментирования необходимо войти на сайт.</p></div>
</div><aside class="sidebar"><h3>Популярное</h3><ul><li>Горсовет утвердил бюджет на новый год</li><li>Где купить ёлку в этом году</li></ul></aside></div>
<footer><p>© 2026 «Заречная правда». При цитировании ссылка обязательна.</p></footer></body></html>"""
    return url, html, {}


# ---- 9. old table layout (ru): no structured data at all, <h2> title, the date only as text
def table_ru(story: dict, n: int) -> tuple[str, str, dict]:
    url = f"https://zvesti.kronika.test/news.php?id={4200 + n}"
    dt = when(story)
    p = story["paragraphs"]
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>{e(story['title'])} :: Зарічанские вести</title></head>
<body bgcolor="#ffffff"><table width="100%" cellpadding="0" cellspacing="0"><tr><td colspan="2" class="top"><img src="/img/logo.gif" alt="Зарічанские вести"></td></tr>
<tr><td width="200" valign="top" class="left"><b>Разделы</b><br><a href="/news.php">Новости</a><br><a href="/articles.php">Статьи</a><br><a href="/photo.php">Фоторепортажи</a><br><a href="/contacts.php">Контакты</a><br><br>
<b>Последние новости</b><br><span class="small">{(dt - timedelta(days=1)):%d.%m.%Y}</span> <a href="/news.php?id=1">В городе прошла ярмарка</a><br><span class="small">{(dt - timedelta(days=2)):%d.%m.%Y}</span> <a href="/news.php?id=2">Открыт новый каток</a></td>
<td valign="top" class="main">
<h2 class="title">{e(story['title'])}</h2>
<span class="date">{dt:%d.%m.%Y %H:%M}</span>{updated_ru(story)}<br><br>
{ps(p)}
<p><b>Автор:</b> {e(', '.join(story['authors']))}</p>
<p class="small">Просмотров: 3{n}1 | <a href="/print.php?id={4200 + n}">Версия для печати</a></p>
</td></tr><tr><td colspan="2" class="bottom">Зарічанские вести © 2003-2026. Все права защищены.</td></tr></table></body></html>"""
    return url, html, {}


TEMPLATES = [
    ("wire", wire_en, EN[0:5]),
    ("liveblog", liveblog_en, EN[5:10]),
    ("opinion", opinion_en, EN[5:10]),
    ("paywall", paywall_en, EN[0:5]),
    ("explainer", explainer_en, EN[5:10]),
    ("uk-wordpress", uk_wordpress, UK[0:5]),
    ("uk-short", short_uk, UK[1:6]),
    ("ru-graph", ru_graph, RU[0:5]),
    ("ru-table", table_ru, RU[1:6]),
]


def language_of(story: dict) -> str:
    return "en" if story in EN else "uk" if story in UK else "ru"


def main() -> None:
    for old in HERE.glob("[0-9][0-9]-*"):
        old.unlink()
    n = 0
    for name, template, stories in TEMPLATES:
        for story in stories:
            n += 1
            url, html, overrides = template(story, n)
            truth = {"url": url, "template": name, "language": language_of(story), "title": story["title"],
                     "authors": story["authors"], "published": story["published"],
                     "modified": story.get("modified"), "body": story["paragraphs"], "paywalled": False, **overrides}
            stem = f"{n:02d}-{name}-{story['slug']}"[:80]
            (HERE / f"{stem}.html").write_text(html, encoding="utf-8")
            (HERE / f"{stem}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {n} pages in {len(TEMPLATES)} templates to {HERE}")


if __name__ == "__main__":
    main()
