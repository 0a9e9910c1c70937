r"""Save-time safety of the regular expressions staff write as editorial rules.

A pattern rule is the one untrusted expression the linter runs, so before it is saved
``check_user_pattern`` reads it with this module's own parser (no private CPython module)
and refuses it unless its cost is bounded:

* long patterns, back-references, lookarounds, conditionals and named groups;
* the shapes that backtrack catastrophically: nested repeats (``(a+)+``), repeated
  alternatives that can match the same text (``(a|aa)*``, ``(a|a)*``) or are single
  characters (``(\s|\S)*``), and repeats in a row over the same characters (``\w*\w*``);
* a pattern that matches empty text;
* then it times the pattern on adversarial probes built from its own alphabet (long runs of
  each of its characters, then a tail that fails but carries its literals) and refuses it
  when one probe costs more than ``PROBE_CPU_S`` of CPU: a linear pattern takes well under a
  millisecond, a polynomial or exponential one seconds.

What the parser reads (the syntax a rule may use)
-------------------------------------------------
Python's regular-expression syntax as both ``re`` and the ``regex`` package (``V0``, which
runs the rules) read it alike: literal characters and escapes (``\.``, ``\n``, ``\t``,
``\x41``, ``\u3042``, ``\U0001F600``, ``\N{EM DASH}``, octal ``\0``), ``.``, the classes
``\d \D \w \W \s \S``, character sets (``[a-z０-９]``, ``[^、。]``), anchors ``^ $ \A \Z \b \B``,
groups ``( )``, ``(?: )``, atomic ``(?> )``, inline flags (``(?i)`` at the start,
``(?s: )``; flags ``a i m s u``), comments ``(?# )``, alternation ``|`` and the quantifiers
``* + ? {n} {n,} {,m} {n,m}``, each optionally lazy (``?``) or possessive (``+``).

Refused, each with a message saying what to write instead, because the two engines would
read them differently or the cost analysis could not see them: a ``{`` that does not start a
repeat count (``regex`` may read it as fuzzy matching: write ``\{``), a ``[`` inside a set
(``regex`` reads ``[[:alpha:]]`` as a POSIX class: write ``\[``) and the verbose flag ``x``.
"""

import functools
import re
import time
import unicodedata
import warnings
from dataclasses import dataclass

import regex
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MAX_PATTERN_LENGTH = 200

# A bounded repeat with more than this many repetitions counts as unbounded for the analysis.
REPEAT_LIMIT = 10

_BACKREF = re.compile(r"\\[1-9]|\\g<|\(\?P=|\(\?P<|\(\?<[A-Za-z]|\(\?[=!]|\(\?<[=!]|\(\?\(")


# --- the syntax tree ----------------------------------------------------------------------

@dataclass(frozen=True)
class Literal:
    char: str


@dataclass(frozen=True)
class CharClass:
    """A set of characters: ``items`` are ``("char", c)``, ``("range", low, high)`` or
    ``("category", name, negated)`` with name ``digit``, ``space`` or ``word``."""

    items: tuple
    negated: bool = False


@dataclass(frozen=True)
class AnyChar:
    pass


@dataclass(frozen=True)
class Anchor:
    name: str  # start, end, string_start, string_end, boundary, not_boundary


@dataclass(frozen=True)
class Group:
    items: tuple
    kind: str = "capture"  # capture, plain (?:...), atomic (?>...), flags (?i:...)
    flags: str = ""  # a flags group's flags as written: "i", "-i", "s-i"


@dataclass(frozen=True)
class Alternation:
    branches: tuple  # one tuple of nodes per alternative
    sources: tuple  # each alternative as written


@dataclass(frozen=True)
class Repeat:
    item: object
    low: int
    high: int | None  # None: no upper bound
    mode: str = "greedy"  # greedy, lazy, possessive


ATOMS = (Literal, CharClass, AnyChar)


class PatternSyntaxError(ValueError):
    """The parser's refusal. ``unsupported`` marks syntax outside the subset above (the
    message, translated, says what to write instead); otherwise the text is not a pattern at
    all and the message is for developers (users see the regex engine's own message)."""

    def __init__(self, message: str, *, unsupported: bool = False):
        super().__init__(message)
        self.message = message
        self.unsupported = unsupported


_ESCAPES = {"a": "\a", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
_CATEGORIES = {"d": ("digit", False), "D": ("digit", True), "s": ("space", False), "S": ("space", True),
               "w": ("word", False), "W": ("word", True)}
_ANCHORS = {"A": "string_start", "Z": "string_end", "b": "boundary", "B": "not_boundary"}
_FLAGS = "aimsu"
_HEX = frozenset("0123456789abcdefABCDEF")
_OCTAL = frozenset("01234567")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_COUNT = re.compile(r"\{([0-9]*)(?:(,)([0-9]*))?\}")


class _Parser:
    """A recursive-descent reader of the subset documented above, following the grammar of
    Python's ``re`` (including its reading of ``]`` first in a set and of ``{`` after nothing)."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.pos = 0

    # -- reading ----------------------------------------------------------------------
    def peek(self) -> str | None:
        return self.pattern[self.pos] if self.pos < len(self.pattern) else None

    def take(self) -> str | None:
        ch = self.peek()
        if ch is not None:
            self.pos += 1
        return ch

    def take_if(self, text: str) -> bool:
        if self.pattern.startswith(text, self.pos):
            self.pos += len(text)
            return True
        return False

    def invalid(self, message: str) -> PatternSyntaxError:
        return PatternSyntaxError(message)

    def unsupported(self, message: str) -> PatternSyntaxError:
        return PatternSyntaxError(message, unsupported=True)

    # -- grammar ----------------------------------------------------------------------
    def parse(self) -> tuple:
        items = self.alternation(nested=False)
        if self.peek() is not None:
            raise self.invalid("unbalanced parenthesis")
        return items

    def alternation(self, *, nested: bool) -> tuple:
        branches, sources = [], []
        while True:
            start = self.pos
            branches.append(self.sequence(first=not nested and not branches))
            sources.append(self.pattern[start:self.pos])
            if not self.take_if("|"):
                break
        if len(branches) == 1:
            return branches[0]
        return (Alternation(tuple(branches), tuple(sources)),)

    def sequence(self, *, first: bool) -> tuple:
        items: list = []
        while (ch := self.peek()) is not None and ch not in "|)":
            self.pos += 1
            if ch == "\\":
                items.append(self.escape())
            elif ch == "[":
                items.append(self.char_set())
            elif ch in "*+?{":
                self.quantifier(ch, items)
            elif ch == ".":
                items.append(AnyChar())
            elif ch == "^":
                items.append(Anchor("start"))
            elif ch == "$":
                items.append(Anchor("end"))
            elif ch == "(":
                group = self.group(first=first and not items)
                if group is not None:
                    items.append(group)
            else:
                items.append(Literal(ch))
        # A plain group that is not repeated is just its content (as ``re`` reads it).
        out: list = []
        for item in items:
            if isinstance(item, Group) and item.kind == "plain":
                out.extend(item.items)
            else:
                out.append(item)
        return tuple(out)

    def quantifier(self, ch: str, items: list) -> None:
        if ch == "{":
            count = _COUNT.match(self.pattern, self.pos - 1)
            if count is None or count.group() == "{}":
                raise self.unsupported(_("Write a literal brace as \\{: an unescaped { must start a repeat "
                                         "count such as {2,5}."))
            self.pos = count.end()
            low = int(count[1]) if count[1] else 0
            high = (int(count[3]) if count[3] else None) if count[2] else low
            if high is not None and high < low:
                raise self.invalid("min repeat greater than max repeat")
        else:
            low, high = {"*": (0, None), "+": (1, None), "?": (0, 1)}[ch]
        if not items or isinstance(items[-1], Anchor):
            raise self.invalid("nothing to repeat")
        if isinstance(items[-1], Repeat):
            raise self.invalid("multiple repeat")
        mode = "lazy" if self.take_if("?") else "possessive" if self.take_if("+") else "greedy"
        items[-1] = Repeat(items[-1], low, high, mode)

    def group(self, *, first: bool) -> Group | None:
        """The group after ``(``; None for a comment or global flags (nothing to match)."""
        kind = "capture"
        if self.take_if("?"):
            ch = self.take()
            if ch is None:
                raise self.invalid("unexpected end of pattern")
            if ch == ":":
                kind = "plain"
            elif ch == ">":
                kind = "atomic"
            elif ch == "#":
                end = self.pattern.find(")", self.pos)
                if end < 0:
                    raise self.invalid("missing ), unterminated comment")
                self.pos = end + 1
                return None
            elif ch in "P=!<(":
                raise self.unsupported(_("Back-references, lookarounds, conditionals and named groups are not "
                                         "allowed in rules."))
            elif ch in _FLAGS or ch in "xL-":
                scope, flags = self.flags(ch)
                if scope == "global":
                    if not first:
                        raise self.invalid("global flags not at the start of the expression")
                    return None
                kind = "flags"
            else:
                raise self.invalid(f"unknown extension ?{ch}")
        items = self.alternation(nested=True)
        if not self.take_if(")"):
            raise self.invalid("missing ), unterminated subpattern")
        return Group(items, kind, flags if kind == "flags" else "")

    def flags(self, ch: str) -> tuple[str, str]:
        """Read inline flags after ``(?``: ("global", "i") for ``(?i)``, ("scoped", "i-s") for ``(?i-s:``."""
        seen = ""
        while ch is not None and ch not in "):":
            if ch == "x":
                raise self.unsupported(_("The verbose flag (?x) is not allowed in rules; write the pattern "
                                         "without spaces and comments."))
            if ch not in _FLAGS and ch != "-":
                raise self.invalid("unknown flag")
            seen += ch
            ch = self.take()
        if ch is None:
            raise self.invalid("missing -, : or )")
        if ch == ")" and "-" in seen:
            raise self.invalid("missing :")
        return ("global" if ch == ")" else "scoped"), seen

    def escape(self) -> object:
        """An escape outside a set (the backslash is read)."""
        ch = self.take()
        if ch is None:
            raise self.invalid("bad escape (end of pattern)")
        if ch in _ANCHORS:
            return Anchor(_ANCHORS[ch])
        if ch in _CATEGORIES:
            return CharClass((("category", *_CATEGORIES[ch]),))
        if ch in "123456789":
            digits = ch + self.pattern[self.pos:self.pos + 2]
            if len(digits) == 3 and set(digits) <= _OCTAL:
                self.pos += 2
                return Literal(self.octal(digits))
            raise self.unsupported(_("Back-references, lookarounds, conditionals and named groups are not "
                                     "allowed in rules."))
        if ch == "0":
            digits = ch
            while len(digits) < 3 and self.peek() in _OCTAL:
                digits += self.take()
            return Literal(self.octal(digits))
        return Literal(self.escaped_char(ch))

    def escaped_char(self, ch: str) -> str:
        """The character of a literal escape (``\\n``, ``\\x41``, ``\\u3042``, ``\\N{...}``, ``\\.``)."""
        if ch in _ESCAPES:
            return _ESCAPES[ch]
        width = {"x": 2, "u": 4, "U": 8}.get(ch)
        if width:
            digits = self.pattern[self.pos:self.pos + width]
            if len(digits) != width or not set(digits) <= _HEX:
                raise self.invalid(f"incomplete escape \\{ch}")
            self.pos += width
            try:
                return chr(int(digits, 16))
            except (ValueError, OverflowError) as error:
                raise self.invalid(f"bad escape \\{ch}") from error
        if ch == "N":
            end = self.pattern.find("}", self.pos)
            if not self.take_if("{") or end < 0:
                raise self.invalid("missing {")
            name = self.pattern[self.pos:end]
            self.pos = end + 1
            try:
                return unicodedata.lookup(name)
            except KeyError as error:
                raise self.invalid(f"undefined character name {name!r}") from error
        if ch in _ASCII_LETTERS or ch in "0123456789":
            raise self.invalid(f"bad escape \\{ch}")
        return ch

    def octal(self, digits: str) -> str:
        value = int(digits, 8)
        if value > 0o377:
            raise self.invalid("octal escape value outside of range 0-0o377")
        return chr(value)

    def set_member(self, ch: str) -> tuple:
        """One member of a set: a character or a category (the first character is read)."""
        if ch == "[":
            raise self.unsupported(_("Write [ inside a character set as \\[ (the regex engine reads [[:alpha:]] "
                                     "as a POSIX class)."))
        if ch != "\\":
            return ("char", ch)
        ch = self.take()
        if ch is None:
            raise self.invalid("bad escape (end of pattern)")
        if ch in _CATEGORIES:
            return ("category", *_CATEGORIES[ch])
        if ch == "b":
            return ("char", "\b")
        if ch in _OCTAL:
            digits = ch
            while len(digits) < 3 and self.peek() in _OCTAL:
                digits += self.take()
            return ("char", self.octal(digits))
        return ("char", self.escaped_char(ch))

    def char_set(self) -> object:
        """A set after ``[``: a ``CharClass``, or a ``Literal`` when it holds one character."""
        negated = self.take_if("^")
        items: list = []
        while True:
            ch = self.take()
            if ch is None:
                raise self.invalid("unterminated character set")
            if ch == "]" and items:
                break
            first = self.set_member(ch)
            if self.take_if("-"):
                ch = self.take()
                if ch is None:
                    raise self.invalid("unterminated character set")
                if ch == "]":
                    items += [first, ("char", "-")]
                    break
                last = self.set_member(ch)
                if first[0] != "char" or last[0] != "char" or last[1] < first[1]:
                    raise self.invalid("bad character range")
                items.append(("range", first[1], last[1]))
            else:
                items.append(first)
        items = list(dict.fromkeys(items))
        if len(items) == 1 and items[0][0] == "char" and not negated:
            return Literal(items[0][1])
        return CharClass(tuple(items), negated)


def parse(pattern: str) -> tuple:
    """The syntax tree of ``pattern`` (a tuple of nodes) or ``PatternSyntaxError``."""
    return _Parser(pattern).parse()


# --- walking the tree ---------------------------------------------------------------------

def _unbounded(high: int | None) -> bool:
    return high is None or high > REPEAT_LIMIT


def _children(node) -> list[tuple]:
    """The node sequences directly inside ``node``."""
    if isinstance(node, Repeat):
        return [(node.item,)]
    if isinstance(node, Group):
        return [node.items]
    if isinstance(node, Alternation):
        return list(node.branches)
    return []


def _leaves(items):
    """Every atom and anchor of ``items`` in order, through repeats, groups and alternatives."""
    for node in items:
        children = _children(node)
        if children:
            for child in children:
                yield from _leaves(child)
        else:
            yield node


def required_literal(pattern: str) -> str:
    """The longest run of literal characters at the top level of ``pattern`` (casefolded), or '':
    every match contains it, so a text without it can skip the pattern."""
    try:
        items = parse(pattern)
    except PatternSyntaxError:
        return ""
    best, run = "", ""
    for node in items:
        if isinstance(node, Literal):
            run += node.char
            continue
        if isinstance(node, Alternation):  # what every alternative starts with is required too
            for common in _common_prefix(node.branches):
                if not isinstance(common, Literal):
                    best, run = max(best, run, key=len), ""
                    continue
                run += common.char
        best, run = max(best, run, key=len), ""
    return max(best, run, key=len).casefold()


def _common_prefix(branches) -> list:
    """The nodes every branch starts with."""
    prefix = []
    for nodes in zip(*branches, strict=False):
        if any(node != nodes[0] for node in nodes):
            break
        prefix.append(nodes[0])
    return prefix


def _has_nested_quantifier(items) -> bool:
    """True when a repeated group contains another unbounded repeat ((a+)+, (a*b?)*, ...)."""

    def walk(items, inside_repeat: bool) -> bool:
        for node in items:
            if isinstance(node, Repeat):
                if inside_repeat and _unbounded(node.high):
                    return True
                if walk((node.item,), inside_repeat or node.high is None or node.high > 1):
                    return True
            elif any(walk(child, inside_repeat) for child in _children(node)):
                return True
        return False

    return walk(items, False)


# Characters every probe and overlap test tries besides the pattern's own: Latin, digits
# (half- and full-width), kana, kanji, spaces, punctuation, an emoji and a control character.
_SAMPLE_CHARS = "aZ_1１アあ漢ｱ \n\u3000!！-.,%円@#/:\x00😀"


def _category_matches(name: str, negated: bool, ch: str) -> bool:
    if name == "digit":
        result = ch.isdecimal()
    elif name == "space":
        result = ch.isspace()
    else:  # word
        result = ch.isalnum() or ch == "_"
    return result != negated


def _atom_matches(atom, ch: str) -> bool:
    """Whether one single-character node (literal, set, ``.``) may match ``ch`` (case-insensitively,
    as rules run)."""
    folded = {ch, ch.lower(), ch.upper()}
    if isinstance(atom, Literal):
        return atom.char in folded or atom.char.lower() in folded
    if isinstance(atom, AnyChar):
        return ch != "\n"
    if isinstance(atom, CharClass):
        hit = False
        for item in atom.items:
            if item[0] == "char":
                hit = hit or item[1] in folded or item[1].lower() in folded
            elif item[0] == "range":
                hit = hit or any(item[1] <= x <= item[2] for x in folded)
            else:
                hit = hit or _category_matches(item[1], item[2], ch)
        return hit != atom.negated
    return False


def _pattern_alphabet(items) -> list[str]:
    """Every literal character and set boundary (and a range's middle) in a pattern, in order."""
    out: list[str] = []
    for node in _leaves(items):
        if isinstance(node, Literal):
            out.append(node.char)
        elif isinstance(node, CharClass):
            for item in node.items:
                if item[0] == "char":
                    out.append(item[1])
                elif item[0] == "range":
                    low, high = ord(item[1]), ord(item[2])
                    out.extend((item[1], chr((low + high) // 2), item[2]))
    return out


def _pattern_literals(items) -> str:
    """The pattern's literal characters in order (the tail that gets a probe past the engine's
    check for required text)."""
    return "".join(node.char for node in _leaves(items) if isinstance(node, Literal))


def _single_atom(node):
    """The atom of a node that matches exactly one character: an atom, or a plain group of one."""
    if isinstance(node, ATOMS):
        return node
    if isinstance(node, Group) and node.kind == "plain" and len(node.items) == 1 and isinstance(node.items[0], ATOMS):
        return node.items[0]
    return None


def _has_adjacent_overlapping_repeats(items, pool: str) -> bool:
    """True when two unbounded repeats of single characters follow each other (with only
    optional items between) and can match the same character: ``\\w*\\w*``, ``\\d+\\s*\\d+``.
    Every way of splitting a run between them is tried: polynomial time in the run's length."""

    def repeated_atom(node):
        if isinstance(node, Repeat) and _unbounded(node.high):
            return _single_atom(node.item)
        return None

    def sequence(items) -> bool:
        # The unbounded repeats a run may still be in: the last one that must match at least
        # once, and every optional one after it (a run can skip those).
        open_atoms: list = []
        for node in items:
            atom = repeated_atom(node)
            if atom is not None:
                if any(_atom_matches(before, ch) and _atom_matches(atom, ch) for before in open_atoms for ch in pool):
                    return True
                open_atoms = [*open_atoms, atom] if node.low == 0 else [atom]
                continue
            if isinstance(node, Repeat) and node.low == 0:
                if nested((node.item,)):
                    return True
                continue  # optional: a run may skip it, so the repeats around it still meet
            if isinstance(node, Anchor):
                continue
            if nested((node,)):
                return True
            open_atoms = []
        return False

    def nested(items) -> bool:
        return any(sequence(child) for node in items for child in _children(node))

    return sequence(items)


def _repeated_alternations(items) -> list[tuple[str, ...]]:
    """The alternatives, as written, of each group repeated without bound: ``(a|aa)*`` ->
    [("a", "aa")] (a group holding only a group counts as that group)."""
    found: list = []
    for node in _walk(items):
        if isinstance(node, Repeat) and _unbounded(node.high) and isinstance(node.item, Group):
            inner = node.item.items
            while len(inner) == 1 and isinstance(inner[0], Group):
                inner = inner[0].items
            if len(inner) == 1 and isinstance(inner[0], Alternation):
                found.append(inner[0])
    return found


def _walk(items):
    """Every node of ``items``, depth first."""
    for node in items:
        yield node
        for child in _children(node):
            yield from _walk(child)


def _ambiguous_alternation(items, pool: str) -> str:
    """'' or the reason an alternation repeated without bound is ambiguous: alternatives of one
    character each (a set does the same in one step), an empty alternative, or two that can
    start with the same character, so a run can be split between them in exponentially many ways."""
    for alternation in _repeated_alternations(items):
        if all(len(branch) == 1 and isinstance(branch[0], ATOMS) for branch in alternation.branches):
            return "single"
        compiled = []
        for source in alternation.sources:
            try:
                compiled.append(regex.compile(source, regex.IGNORECASE | regex.V0))
            except (regex.error, OverflowError, RecursionError):
                compiled = []
                break
        if any(item.fullmatch("") for item in compiled):
            return "overlap"
        for ch in pool:
            if sum(item.match(ch, partial=True) is not None for item in compiled) > 1:
                return "overlap"
    return ""


# --- probes ---------------------------------------------------------------------------------

# Save-time probes: runs of each character of the pattern's own alphabet (and a few common
# ones), each followed by a tail that fails to match but carries the pattern's literals (so
# the engine cannot skip the run for lack of required text). A pattern refused here takes at
# least PROBE_CPU_S of CPU on PROBE_LENGTH characters; linear patterns take well under 1 ms,
# and a pattern quadratic in one run (``\d+円`` on a run of digits) about 3 ms.
PROBE_LENGTH = 1000
PROBE_CPU_S = 0.025  # CPU time of one probe (CPU, so a busy machine does not refuse good patterns)
PROBE_TOTAL_CPU_S = 1.0  # CPU time of every probe of one pattern
PROBE_TIMEOUT_S = 0.25  # wall clock: the hard stop of one probe
PROBE_WALL_S = 10.0  # wall clock: the hard stop of every probe of one pattern
MAX_PROBE_CHARS = 48


def pattern_probes(pattern: str) -> list[str]:
    """Adversarial inputs built from the pattern's own alphabet (see above)."""
    items = parse(pattern)
    literals = _pattern_literals(items)
    chars = list(dict.fromkeys(_pattern_alphabet(items) + list(_SAMPLE_CHARS)))[:MAX_PROBE_CHARS]
    tails = ("", "\x00" + literals, "!" + literals, "\n" + literals[::-1])
    probes = [ch * PROBE_LENGTH + tail for ch in chars for tail in tails]
    if len(literals) > 1:
        probes.append(literals * (PROBE_LENGTH // len(literals)) + "\x00" + literals)
    return probes


@functools.lru_cache(maxsize=256)
def _slow_on_probes(pattern: str) -> bool:
    """True when the pattern is slow on any of its probes (remembered per process: a kit's
    rules are checked again each time a draft with them is saved)."""
    compiled = regex.compile(pattern, regex.IGNORECASE | regex.V0)
    deadline = time.monotonic() + PROBE_WALL_S
    cpu_started = time.thread_time()
    for probe in pattern_probes(pattern):
        started = time.thread_time()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return True
        try:
            for _match in compiled.finditer(probe, timeout=min(PROBE_TIMEOUT_S, remaining)):
                pass
        except TimeoutError:
            return True
        now = time.thread_time()
        if now - started > PROBE_CPU_S or now - cpu_started > PROBE_TOTAL_CPU_S:
            return True
    return False


# --- the checks -----------------------------------------------------------------------------

def compile_user_pattern(pattern: str):
    """The structural checks of ``check_user_pattern`` without the timed probes: what a
    compiled kit runs on patterns that passed the full check when they were saved."""
    if not pattern:
        raise ValidationError(_("Enter a pattern."), code="required")
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValidationError(
            _("Patterns are limited to %(max)d characters.") % {"max": MAX_PATTERN_LENGTH}, code="too_long"
        )
    if _BACKREF.search(pattern):
        raise ValidationError(
            _("Back-references, lookarounds, conditionals and named groups are not allowed in rules."),
            code="unsupported",
        )
    try:
        items = parse(pattern)
    except PatternSyntaxError as error:
        if error.unsupported:
            raise ValidationError(error.message, code="unsupported") from error
        items = None  # not a pattern: the engine says why just below
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE | regex.V0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # "possible nested set": refused above
            re.compile(pattern)  # the rules' syntax is what both engines read alike
    except (regex.error, re.error, OverflowError, RecursionError) as error:
        raise ValidationError(
            _("This is not a valid regular expression: %(error)s") % {"error": error}, code="invalid_regex"
        ) from error
    if items is None:
        raise ValidationError(_("This pattern uses syntax the brand kit cannot check; simplify it."),
                              code="unsupported")
    if _has_nested_quantifier(items):
        raise ValidationError(
            _("Nested repeats such as (a+)+ can take exponential time; rewrite the pattern without them."),
            code="catastrophic",
        )
    pool = "".join(dict.fromkeys(_pattern_alphabet(items) + list(_SAMPLE_CHARS)))
    ambiguous = _ambiguous_alternation(items, pool)
    if ambiguous == "single":
        raise ValidationError(
            _("Alternatives of single characters inside a repeat, such as (\\s|\\S)*, backtrack on every "
              "character; write one character class instead, such as [\\s\\S]*."),
            code="catastrophic",
        )
    if ambiguous:
        raise ValidationError(
            _("Alternatives inside a repeat that can match the same text, such as (a|aa)*, can take "
              "exponential time; make each alternative start with different characters."),
            code="catastrophic",
        )
    if _has_adjacent_overlapping_repeats(items, pool):
        raise ValidationError(
            _("Repeats one after another that can match the same characters, such as \\w*\\w*, are slow "
              "on long text; merge them into one."),
            code="catastrophic",
        )
    if compiled.search(""):
        raise ValidationError(_("The pattern matches empty text; make it match at least one character."),
                              code="matches_empty")
    return compiled


def check_user_pattern(pattern: str):
    """Compile a staff-supplied regular expression or raise ValidationError saying why not.

    Structural checks first (length, unsupported syntax, nested repeats, ambiguous repeated
    alternations, overlapping adjacent repeats, matching empty text), then timed probes on
    adversarial input built from the pattern's own alphabet (``pattern_probes``)."""
    compiled = compile_user_pattern(pattern)
    if _slow_on_probes(pattern):
        raise ValidationError(_("The pattern is too slow on long input; simplify it."), code="too_slow")
    return compiled
