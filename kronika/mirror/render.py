"""How the mirror's content becomes markup: the Jinja environment over `templates/` and its filters.

One escaping rule for every page: Jinja's autoescape (markupsafe) for .html and .xml templates.
The two small inline languages of the content (an article's `[text](/path)` links, a Telegram
post's URLs, **bold**, #hashtags and emoji) are filters that escape their text and return Markup.
"""
from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

# Vistnyk shows local (Kyiv) time. Every date in the content falls in January, so winter time.
KYIV = timezone(timedelta(hours=2))

UK_MONTHS = ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня",
             "вересня", "жовтня", "листопада", "грудня")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


# --------------------------------------------------------------------------- numbers and dates

def format_views(n: int) -> str:
    """Telegram's short form: 845, 48.7K, 1.2M (rounded down to one decimal)."""
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n // 1000}.{(n // 100) % 10}K"
    return f"{n // 1_000_000}.{(n // 100_000) % 10}M"


def parse_views(s: str) -> int:
    """The integer a parser reads from a short form: "4.1K" -> 4100, "1.2M" -> 1200000."""
    s = s.strip().upper()
    scale = {"K": 1000, "M": 1_000_000}.get(s[-1:], 1)
    number = s[:-1] if scale != 1 else s
    whole, _, frac = number.partition(".")
    frac = (frac + "000000")[:6]
    return int(whole) * scale + int(frac) * scale // 1_000_000


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def herald_date(dt: datetime) -> str:
    return f"{dt.day} {EN_MONTHS[dt.month - 1]} {dt.year}, {dt:%H:%M} GMT"


def vistnyk_date(dt: datetime) -> str:
    local = dt.astimezone(KYIV)
    return f"{local.day} {UK_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"


def view_token(post_id: int) -> str:
    """The opaque data-view attribute Telegram puts on each post (channel id and post id)."""
    raw = json.dumps({"c": -1001874200113, "p": post_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def json_ld(data: dict[str, Any]) -> Markup:
    # "</" inside a script element would end it early
    return Markup(json.dumps(data, ensure_ascii=False, indent=1).replace("</", "<\\/"))


# --------------------------------------------------------------------------- article markup

_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")


def article_html(text: str) -> Markup:
    """An article paragraph: escaped, with [text](/path) turned into a link."""
    out, pos = [], 0
    for m in _LINK.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup('<a href="{}">{}</a>').format(m.group(2), m.group(1)))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def article_plain(text: str) -> str:
    """An article paragraph as a browser shows it: the link text without the markup."""
    return _LINK.sub(lambda m: m.group(1), text)


# --------------------------------------------------------------------------- Telegram post markup

# URLs, **bold**, #hashtags and emoji, in the order they occur.
_EMOJI = ("(?:[\U0001F1E6-\U0001F1FF]{2}"
          "|[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2B55](?:\uFE0F)?"
          "(?:\u200D[\U0001F300-\U0001FAFF\u2600-\u27BF]\uFE0F?)*)")
_TG_TOKEN = re.compile(
    r"(?P<url>https?://[^\s<>\"]+[^\s<>\".,;:!?)])"
    r"|\*\*(?P<bold>.+?)\*\*"
    r"|(?P<tag>(?<![\w#])#\w+)"
    rf"|(?P<emoji>{_EMOJI})"
)
_HASHTAG = re.compile(r"(?<![\w#/])#(\w+)")
_EMOJI_IMG = "//telegram.org/img/emoji/40/{}.png"


def _tg_tokens(text: str) -> Markup:
    out, pos = [], 0
    for m in _TG_TOKEN.finditer(text):
        out.append(escape(text[pos:m.start()]))
        if m.group("url"):
            out.append(Markup('<a href="{0}" target="_blank" rel="noopener">{0}</a>').format(m.group("url")))
        elif m.group("bold") is not None:
            out.append(Markup("<b>{}</b>").format(_tg_tokens(m.group("bold"))))
        elif m.group("tag"):
            tag = m.group("tag")
            out.append(Markup('<a href="?q={}">{}</a>').format(quote(tag), tag))
        else:
            emoji = m.group("emoji")
            image = _EMOJI_IMG.format(emoji.encode("utf-8").hex().upper())
            out.append(Markup("<i class=\"emoji\" style=\"background-image:url('{}')\"><b>{}</b></i>")
                       .format(image, emoji))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def telegram_html(text: str) -> Markup:
    """A post's text as Telegram marks it up; line breaks become <br/>."""
    return Markup(str(_tg_tokens(text)).replace("\n", "<br/>"))


def telegram_plain(text: str) -> str:
    """A post's text as a browser shows it (the **bold** markers gone)."""
    return re.sub(r"\*\*(.+?)\*\*", r"\1", text)


def hashtags(plain: str) -> list[str]:
    without_urls = re.sub(r"https?://\S+", " ", plain)
    return ["#" + t for t in _HASHTAG.findall(without_urls)]


# --------------------------------------------------------------------------- the environment

def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("kronika.mirror", "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,  # a misspelt field fails the render instead of printing nothing
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    env.filters.update(
        iso=iso, herald_date=herald_date, vistnyk_date=vistnyk_date, kyiv=lambda dt: dt.astimezone(KYIV),
        rfc822=lambda dt: format_datetime(dt, usegmt=True), views=format_views, view_token=view_token,
        json_ld=json_ld, article_html=article_html, telegram_html=telegram_html, telegram_plain=telegram_plain,
        urlquote=quote, thousands="{:,}".format,
    )
    return env


ENVIRONMENT = _environment()


def render(template: str, **context: Any) -> str:
    return ENVIRONMENT.get_template(template).render(**context)
