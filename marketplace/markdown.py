"""Requester-written Markdown, rendered for workers without letting scripts through, and
without images from anywhere but the platform's own storage or the hosts the operator allows
(``MARKDOWN_IMAGE_HOSTS``): a remote image in instructions would tell its owner which workers
opened which task, and when (a tracking pixel)."""

from urllib.parse import urlsplit

import markdown as markdown_lib
import nh3
from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li",
    "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}}


def _image_allowed(src: str) -> bool:
    parts = urlsplit(src)
    if not parts.scheme and not parts.netloc:  # a path on this site
        return src.startswith((settings.MEDIA_URL, settings.STATIC_URL))
    return parts.scheme == "https" and parts.hostname in settings.MARKDOWN_IMAGE_HOSTS


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not _image_allowed(value):
        return None
    return value


def render_markdown(text: str) -> SafeString:
    html = markdown_lib.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"])
    # nh3 drops script/style/iframe, event-handler attributes and javascript: URLs.
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_attribute_filter,
    )
    return mark_safe(clean)  # noqa: S308  # nosec B308, B703 # sanitised by nh3 just above
