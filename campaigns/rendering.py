"""Campaign copy as templates with merge fields, checked at save and rendered per recipient.

A message's subject and body are written in Django's template language, restricted: the merge
fields below (``{{ name_honorific }}``, ``{% if favourite_store %}…{% endif %}``, ``{% for item in
recommendations %}``), the tags and filters listed, nothing else. ``template_errors`` names the
line of broken syntax or an unknown field, so a message is refused at save, never at send.

The email is laid out by the brand kit: the kit's email template ``layout`` names the blocks in
their order ("ロゴ → 見出し → 本文 → ボタン → 配信停止リンク → 会社情報"), read by ``email_blocks``;
the header, footer, colours and fonts come from the theme (templates/emails/base.html)."""

import re
from dataclasses import dataclass, field
from functools import lru_cache

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TokenType
from django.utils.html import escape, urlize
from django.utils.safestring import mark_safe
from django.utils.text import normalize_newlines
from django.utils.translation import gettext_lazy as _

from .personalisation import MERGE_FIELDS as PERSONAL_FIELDS

# The merge fields a message may use, with the help the builder shows: the customer's own
# (campaigns.personalisation) and those the sender adds for each message.
MERGE_FIELDS: dict[str, str] = {
    **PERSONAL_FIELDS,
    "offer_code": _("The customer's coupon code"),
    "shop_url": _("The online store's address"),
    "unsubscribe_url": _("Opt-out link"),
    "brand_name": _("Brand name"),
    # what a journey's trigger was about (campaigns.journey_engine.journey_merge_values); empty elsewhere
    "order_number": _("Order number (journeys started by an order)"),
    "product_name": _("Product back in stock (back-in-stock journeys)"),
    "store_name": _("Store of the order or the product (journeys)"),
    "product_url": _("Product page (back-in-stock journeys)"),
}
ALLOWED_TAGS = {"if", "elif", "else", "endif", "for", "empty", "endfor", "with", "endwith", "firstof"}
ALLOWED_FILTERS = {"default", "date", "truncatechars", "upper", "lower", "title", "floatformat", "length",
                   "first", "last", "join", "yesno", "pluralize", "linebreaksbr"}
# Words in tag arguments that are not variables.
_KEYWORDS = {"and", "or", "not", "in", "is", "as", "None", "True", "False", "forloop", "counter", "counter0",
             "first", "last", "revcounter", "reversed", "with", "only", "empty"}
_WORD = re.compile(r"""("[^"]*"|'[^']*')|([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+)*)|\|([A-Za-z_]+)""")
_FOR_VARS = re.compile(r"^for\s+(.+?)\s+in\s")
_WITH_VARS = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=")

ENGINE = Engine(
    dirs=[], app_dirs=False, debug=True, libraries={},
    builtins=["django.template.defaulttags", "django.template.defaultfilters"],
)


@dataclass(frozen=True)
class TemplateProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return str(_("Line %(line)s: %(message)s") % {"line": self.line, "message": self.message})


def template_errors(text: str, *, extra_fields: tuple[str, ...] = ()) -> list[TemplateProblem]:
    """What is wrong with ``text`` as a message template: syntax, tags or filters outside the
    allowed set, unknown merge fields. Each names its line."""
    problems: list[TemplateProblem] = []
    allowed = set(MERGE_FIELDS) | set(extra_fields)
    tokens = Lexer(text).tokenize()
    loop_names: set[str] = set()
    for token in tokens:  # names bound by {% for x in … %} / {% with x=… %} anywhere are allowed
        if token.token_type == TokenType.BLOCK:
            if match := _FOR_VARS.match(token.contents):
                loop_names |= {name.strip() for name in match[1].split(",")}
            elif token.contents.startswith("with"):
                loop_names |= set(_WITH_VARS.findall(token.contents))
    for token in tokens:
        if token.token_type == TokenType.BLOCK:
            tag = token.contents.split()[0] if token.contents.split() else ""
            if tag not in ALLOWED_TAGS:
                problems.append(TemplateProblem(token.lineno, str(_("the tag “%(tag)s” is not allowed in a message.")
                                                                  % {"tag": tag or "{% %}"})))
                continue
            _check_words(token.contents.split(None, 1)[1] if " " in token.contents else "", token.lineno,
                         allowed | loop_names, problems, skip_first=tag == "for")
        elif token.token_type == TokenType.VAR:
            _check_words(token.contents, token.lineno, allowed | loop_names, problems)
    if problems:
        return problems
    try:
        ENGINE.from_string(text)
    except TemplateSyntaxError as exc:
        line = getattr(exc, "template_debug", {}).get("line", 1)
        problems.append(TemplateProblem(line, syntax_message(str(exc))))
    return problems


# Django's template syntax errors are English: the ones a message's author meets, said in the
# author's language (anything else keeps Django's words after a translated lead).
_UNCLOSED = re.compile(r"Unclosed tag on line \d+: '(\w+)'\. Looking for one of: ([\w, ]+)\.")
_UNEXPECTED = re.compile(r"Invalid block tag on line \d+: '(\w+)', expected (.+?)\. Did you forget")
_STRAY = re.compile(r"Invalid block tag on line \d+: '(\w+)'\. Did you forget")
_REMAINDER = re.compile(r"Could not parse the remainder: '(.*)' from '(.*)'")


def syntax_message(message: str) -> str:
    if match := _UNCLOSED.match(message):
        return str(_("“{%% %(tag)s %%}” is not closed: add one of %(closing)s.")
                   % {"tag": match[1], "closing": ", ".join(f"{{% {word} %}}" for word in match[2].split(", "))})
    if match := _UNEXPECTED.match(message):
        expected = re.findall(r"'(\w+)'", match[2])
        return str(_("“{%% %(tag)s %%}” is out of place here: expected %(expected)s.")
                   % {"tag": match[1], "expected": ", ".join(f"{{% {word} %}}" for word in expected)})
    if match := _STRAY.match(message):
        return str(_("“{%% %(tag)s %%}” closes nothing that was opened.") % {"tag": match[1]})
    if match := _REMAINDER.match(message):
        return str(_("“%(text)s” cannot be read: one merge field per {{ }}, filters after a “|”.")
                   % {"text": match[2]})
    if message.startswith("Empty variable tag"):
        return str(_("“{{ }}” is empty: put a merge field in it."))
    return str(_("The template syntax is broken: %(detail)s") % {"detail": message})


def _check_words(contents: str, line: int, allowed: set[str], problems: list, *, skip_first: bool = False) -> None:
    if skip_first:  # "x in items": only what follows "in" is read
        contents = contents.split(" in ", 1)[1] if " in " in contents else contents
    for literal, name, _rest, filter_name in _WORD.findall(contents):
        if literal:
            continue
        if filter_name:
            if filter_name not in ALLOWED_FILTERS:
                problems.append(TemplateProblem(line, str(_("the filter “%(name)s” is not allowed in a message.")
                                                          % {"name": filter_name})))
            continue
        if name and name not in allowed and name not in _KEYWORDS and not name.isdigit():
            problems.append(TemplateProblem(line, str(_("“%(name)s” is not a merge field.") % {"name": name})))


@lru_cache(maxsize=256)
def compiled(text: str):
    """The template of ``text`` (cached: a batch renders the same message for 500 customers)."""
    return ENGINE.from_string(text)


def render_text(text: str, context: dict, *, html: bool = False) -> str:
    """``text`` rendered for one recipient; ``html`` escapes the merge fields' values."""
    if not text:
        return ""
    return compiled(text).render(Context(context, autoescape=html)).strip()


_HREF = re.compile(r'href="([^"]+)"')


def body_html(text: str, *, track=None) -> str:
    """Plain message text (already rendered) as HTML paragraphs; bare URLs become links, each
    through ``track(url)`` (the click redirect) when given."""
    html = str(urlize(escape(normalize_newlines(text)), nofollow=False, autoescape=False))
    paragraphs = [p.replace("\n", "<br>") for p in re.split(r"\n{2,}", html)]
    html = "".join(f'<p style="margin:0 0 16px">{p}</p>' for p in paragraphs if p.strip())
    if track is not None:
        html = _HREF.sub(lambda m: f'href="{escape(track(_unescape(m[1])))}"', html)
    return mark_safe(html)  # noqa: S308 (every piece above was escaped)


def _unescape(value: str) -> str:
    return value.replace("&amp;", "&")


# --- the kit's email layout -----------------------------------------------------------------

DEFAULT_EMAIL_BLOCKS = ("logo", "headline", "body", "offer", "button", "recommendations", "unsubscribe", "company")
# The words a kit's layout may use for each block (ja and en).
BLOCK_WORDS = {
    "logo": ("ロゴ", "logo"),
    "headline": ("見出し", "タイトル", "headline", "heading", "title"),
    "body": ("本文", "body", "text"),
    "offer": ("クーポン", "オファー", "特典", "offer", "coupon"),
    "button": ("ボタン", "button", "cta"),
    "recommendations": ("おすすめ", "レコメンド", "recommendations", "recommended"),
    "unsubscribe": ("配信停止", "unsubscribe", "opt-out", "opt out"),
    "company": ("会社情報", "会社", "送信者", "company", "sender", "legal"),
}


@dataclass(frozen=True)
class EmailLayout:
    blocks: tuple[str, ...]
    unknown: tuple[str, ...] = field(default=())


def email_blocks(layout: str) -> EmailLayout:
    """The order of the email's blocks as the kit's layout text names them (parts separated by →,
    >, commas or new lines). Blocks the layout leaves out keep their default place after it; the
    opt-out link and the sender are always there (the law asks for them)."""
    parts = [p.strip() for p in re.split(r"→|->|>|、|,|\n", layout or "") if p.strip()]
    order: list[str] = []
    unknown: list[str] = []
    for part in parts:
        lowered = part.lower()
        block = next((b for b, words in BLOCK_WORDS.items() if any(w.lower() in lowered for w in words)), None)
        if block is None:
            unknown.append(part)
        elif block not in order:
            order.append(block)
    if not order:
        return EmailLayout(DEFAULT_EMAIL_BLOCKS, tuple(unknown))
    # a block the layout leaves out takes its default place: after the block that precedes it by default
    for index, block in enumerate(DEFAULT_EMAIL_BLOCKS):
        if block in order:
            continue
        before = next((b for b in reversed(DEFAULT_EMAIL_BLOCKS[:index]) if b in order), None)
        order.insert(order.index(before) + 1 if before else 0, block)
    # the legal blocks close the message whatever the layout says
    order = [b for b in order if b not in ("unsubscribe", "company")] + [b for b in order if b in (
        "unsubscribe", "company")]
    return EmailLayout(tuple(order), tuple(unknown))
