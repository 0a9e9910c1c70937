"""The brand kit's own reading of pattern rules (regex_safety.parse): it must read a pattern as
the regex engine that runs it does, refuse what the two engines would read differently, and
feed the cost analysis."""

import pytest
import regex
from django.core.exceptions import ValidationError

from brandkit import regex_safety
from brandkit.regex_safety import (
    Alternation,
    Anchor,
    AnyChar,
    CharClass,
    Group,
    Literal,
    Repeat,
    compile_user_pattern,
    parse,
    required_literal,
)

ANCHORS = {"start": "^", "end": "$", "string_start": r"\A", "string_end": r"\Z", "boundary": r"\b",
           "not_boundary": r"\B"}
CATEGORIES = {"digit": "d", "space": "s", "word": "w"}


def char(c: str) -> str:
    return f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}" if ord(c) < 65536 else f"\\U{ord(c):08x}"


def written(items) -> str:
    """The tree written back as a pattern with every character escaped, every group explicit."""
    return "".join(node_written(node) for node in items)


def node_written(node) -> str:
    if isinstance(node, Literal):
        return char(node.char)
    if isinstance(node, AnyChar):
        return "."
    if isinstance(node, Anchor):
        return ANCHORS[node.name]
    if isinstance(node, CharClass):
        parts = []
        for item in node.items:
            if item[0] == "char":
                parts.append(char(item[1]))
            elif item[0] == "range":
                parts.append(f"{char(item[1])}-{char(item[2])}")
            else:
                letter = CATEGORIES[item[1]]
                parts.append("\\" + (letter.upper() if item[2] else letter))
        return "[" + ("^" if node.negated else "") + "".join(parts) + "]"
    if isinstance(node, Group):
        opening = {"capture": "(", "plain": "(?:", "atomic": "(?>", "flags": f"(?{node.flags}:"}[node.kind]
        return opening + written(node.items) + ")"
    if isinstance(node, Alternation):
        return "(?:" + "|".join(written(branch) for branch in node.branches) + ")"
    if isinstance(node, Repeat):
        count = {(0, None): "*", (1, None): "+", (0, 1): "?"}.get((node.low, node.high))
        count = count or f"{{{node.low},{'' if node.high is None else node.high}}}"
        return "(?:" + node_written(node.item) + ")" + count + {"greedy": "", "lazy": "?", "possessive": "+"}[node.mode]
    raise TypeError(node)


PATTERNS = [
    r"\d+円", r"(?:今だけ|限定)", r"[０-９]+", r"[0-9]+%\s*OFF", r"送料\s*無料[!！]+", r"今だけ.{0,5}限定",
    r"\d{1,3}(?:,\d{3})+円", r"https?://\S+", r"No\.\s?1", r"[]a-]+x", r"[^]、。]{2,}", r"[\d,.]+",
    r"\x41\u3042\n\t\.\*\\", r"\0\101", r"\N{EM DASH}+", r"^(?i:abc)$", r"(?i)Minato", r"a(?#note)b",
    r"(?>ab|a)c", r"a{,3}b", r"a{2}?b", r"a++b", r"\bSALE\b", r"\Aテスト\Z", r"x{}y".replace("{}", "{2,4}"),
    r"[\b\w-]+@", r"(?-i:A)b", r"(?s:.)+z", r"[a\]]+", r"[^\W\d_]+", r"(ab|ac|ad)x",
]
TEXTS = ["", "a", "ab", "abc", "ABC", "30% OFF", "1,234円", "送料 無料!!", "今だけお得な限定", "No. 1", "]a-x",
         "x-]a]、", "Aあ\n\t.*\\", "\x00A", "——", "abc", "Minato MINATO", "acx adx", "aaab", "SALE sale",
         "テスト", "xxyy", "a-b@c", "Ab ab", "\nz", "a]a]", "日本語abc", "https://example.com/x 12.5"]


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("flags", [regex.V0, regex.V0 | regex.IGNORECASE])  # rules run case-insensitively
def test_the_parser_reads_a_pattern_as_the_regex_engine_does(pattern, flags):
    leading_flags = regex.match(r"\(\?[aimsu]+\)", pattern)  # global flags: not a node of the tree
    again = (leading_flags.group() if leading_flags else "") + written(parse(pattern))
    for text in TEXTS:
        expected = [m.span() for m in regex.finditer(pattern, text, flags)]
        assert [m.span() for m in regex.finditer(again, text, flags)] == expected, (pattern, again, text)


@pytest.mark.parametrize("pattern, fixed", [
    ("a{e<=1}", r"a\{e<=1}"),  # the regex package reads this as fuzzy matching, re as text
    ("[[:alpha:]]+", r"[\[:alph]+\]"),  # a POSIX class for one engine, a set and a "]" for the other
    ("{{ unsubscribe_url }}", r"\{\{ unsubscribe_url \}\}"),
    ("(?x) 送料 無料", "送料無料"),
])
def test_syntax_the_two_engines_read_differently_is_refused_with_what_to_write(pattern, fixed):
    with pytest.raises(ValidationError) as caught:
        compile_user_pattern(pattern)
    assert caught.value.code == "unsupported"
    assert caught.value.messages[0].strip()
    compile_user_pattern(fixed)


@pytest.mark.parametrize("pattern", [
    "(?:[ab]+b+)?x",  # quadratic inside an optional group
    "((a|aa))*c",  # an ambiguous alternation wrapped in a second group
    "x(?:\\w+\\w+)+y",
])
def test_costly_shapes_inside_groups_are_refused_by_shape(pattern):
    with pytest.raises(ValidationError) as caught:
        compile_user_pattern(pattern)
    assert caught.value.code == "catastrophic"


@pytest.mark.parametrize("pattern, literal", [
    (r"送料\s*無料[!！]+", "送料"),
    (r"x(?:ab|ac)z", "xa"),  # what every alternative starts with
    (r"(?i)SALE\d", "sale"),
    (r"[0-9]+%\s*OFF", "off"),
    (r"a|b", ""),
    (r"ab?c", "a"),
    (r"a(?#c)b[c]", "abc"),
])
def test_the_required_literal_is_in_every_match(pattern, literal):
    assert required_literal(pattern) == literal


def test_a_syntax_error_reports_the_engines_message():
    with pytest.raises(ValidationError) as caught:
        compile_user_pattern("(abc")
    assert caught.value.code == "invalid_regex"
    assert "missing )" in caught.value.messages[0]


def test_parse_refuses_what_is_not_a_pattern():
    for pattern in ["(abc", "a**", "[z-a]", "\\q", "*a"]:
        with pytest.raises(regex_safety.PatternSyntaxError) as caught:
            parse(pattern)
        assert not caught.value.unsupported
