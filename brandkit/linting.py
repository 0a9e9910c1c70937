r"""The content linter: a kit's editorial rules compiled once, then applied to copy.

``lint(text, channel, locale)`` (in ``services``) returns ``Violation`` rows. Rules compile
into a ``CompiledKit`` that is cached per version, so linting is a handful of regex scans:

* every literal term (banned, preferred, product-name spelling) goes into ONE regular
  expression built as a trie (shared prefixes are factored out), so 200 terms cost one scan;
* notation rules (full-width digits/letters, half-width katakana, long-vowel marks),
  exclamation marks and emoji are fixed, trusted expressions;
* user-supplied regular expressions are the only untrusted part. Their cost is bounded in
  three layers. On save ``check_user_pattern`` refuses long patterns, back-references,
  lookarounds, named groups, and the shapes that backtrack catastrophically: nested
  repeats (``(a+)+``), repeated alternatives that can match the same text (``(a|aa)*``,
  ``(a|a)*``) or are single characters (``(\s|\S)*``), and repeats in a row over the same
  characters (``\w*\w*``). It then times the pattern on adversarial probes built from its
  own alphabet (long runs of each of its characters, then a tail that fails but carries
  its literals) and refuses it when one probe costs more than ``PROBE_CPU_S`` of CPU: a
  linear pattern takes well under a millisecond, a polynomial or exponential one seconds.
  At lint time input is capped at ``MAX_INPUT`` characters and every match call of a user
  pattern runs in the ``regex`` package with ``timeout=`` drawn from a per-text budget
  (``PATTERN_BUDGET_S``), so one text can never take longer than that budget in user
  patterns whatever slips through (a rule saved before these checks, or a pattern quadratic
  in a run of digits on a 20,000-digit text). A timed-out rule is skipped and reported as an
  info violation instead of hanging the worker.
"""

import functools
import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field

import regex
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_PATTERN_LENGTH = 200
MAX_INPUT = 20_000
PATTERN_TIMEOUT_S = 0.05
PATTERN_BUDGET_S = 0.2

ERROR, WARNING, INFO = "error", "warning", "info"

# One scan for the notation rules: full-width digits/letters, half-width katakana, and a
# hyphen, dash, tilde or wave dash after katakana where the long-vowel mark (ー) belongs.
NOTATION = re.compile(
    r"(?P<fw>[０-９Ａ-Ｚａ-ｚ]+)|(?P<hk>[\uff66-\uff9f]+)"
    r"|[\u30a1-\u30fa](?P<lv>[\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\uff0d~\u301c\uff5e])"
)
EXCLAMATION = re.compile(r"[!！]")
EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]+"
)
UNSUBSCRIBE = re.compile(r"unsubscribe|配信停止|配信解除|\{\{\s*unsubscribe_url\s*\}\}", re.IGNORECASE)

# What each violation's ``rule`` code means, for people (the API keeps the codes).
RULE_LABELS = {
    "banned_term": gettext_lazy("Banned term"),
    "preferred_term": gettext_lazy("Preferred term"),
    "product_spelling": gettext_lazy("Product-name spelling"),
    "pattern": gettext_lazy("Pattern rule"),
    "pattern.timeout": gettext_lazy("Pattern rule skipped"),
    "notation.fullwidth_alnum": gettext_lazy("Full-width digits and letters"),
    "notation.halfwidth_katakana": gettext_lazy("Half-width katakana"),
    "notation.long_vowel": gettext_lazy("Long-vowel mark"),
    "exclamation": gettext_lazy("Exclamation marks"),
    "emoji": gettext_lazy("Emoji"),
    "max_length": gettext_lazy("Maximum length"),
    "required.unsubscribe": gettext_lazy("Unsubscribe link"),
    "required.legal_footer": gettext_lazy("Legal footer"),
    "input.too_long": gettext_lazy("Text too long to check"),
}


def rule_label(code: str) -> str:
    return str(RULE_LABELS.get(code, code))


_BACKREF = re.compile(r"\\[1-9]|\\g<|\(\?P=|\(\?P<|\(\?<[A-Za-z]|\(\?[=!]|\(\?<[=!]|\(\?\(")


@dataclass(frozen=True)
class Violation:
    start: int
    end: int
    rule: str
    severity: str
    message: str
    suggestion: str = ""
    text: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TermRule:
    kind: str  # banned / preferred / spelling
    term: str
    replacement: str
    message: str
    severity: str
    channels: frozenset[str]
    rule_id: int | None = None


@dataclass(frozen=True)
class PatternRule:
    compiled: object
    source: str
    replacement: str
    message: str
    severity: str
    channels: frozenset[str]
    rule_id: int | None = None
    # A literal every match must contain (casefolded): texts without it skip the regex.
    required: str = ""


def required_literal(pattern: str) -> str:
    """The longest run of literal characters at the top level of ``pattern`` (casefolded), or ''."""
    from re import _constants as c
    from re import _parser as parser

    try:
        items = list(parser.parse(pattern))
    except (re.error, RecursionError):
        return ""
    best, run = "", ""
    for op, av in items:
        if op == c.LITERAL:
            run += chr(av)
        else:
            best = max(best, run, key=len)
            run = ""
    best = max(best, run, key=len)
    return best.casefold()


# --- user pattern safety ------------------------------------------------------------------

def _repeat_ops() -> tuple:
    from re import _constants as c

    return (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT))


def _unbounded(high: int) -> bool:
    from re import _constants as c

    return high == c.MAXREPEAT or high > 10


def _has_nested_quantifier(pattern: str) -> bool:
    """True when a repeated group contains another unbounded repeat ((a+)+, (a*b?)*, ...)."""
    from re import _constants as c  # the stdlib parser: the same grammar as the pattern syntax
    from re import _parser as parser

    repeats = _repeat_ops()

    def walk(items, inside_repeat: bool) -> bool:
        for op, av in items:
            if op in repeats:
                low, high, sub = av
                if inside_repeat and _unbounded(high):
                    return True
                if walk(sub, inside_repeat or high > 1):
                    return True
            elif op == c.SUBPATTERN:
                if walk(av[-1], inside_repeat):
                    return True
            elif op == c.BRANCH:
                if any(walk(branch, inside_repeat) for branch in av[1]):
                    return True
            elif op in (c.ATOMIC_GROUP,) and walk(av, inside_repeat):
                return True
        return False

    return walk(parser.parse(pattern), False)


# Characters every probe and overlap test tries besides the pattern's own: Latin, digits
# (half- and full-width), kana, kanji, spaces, punctuation, an emoji and a control character.
_SAMPLE_CHARS = "aZ_1１アあ漢ｱ \n\u3000!！-.,%円@#/:\x00😀"


def _category_matches(category, ch: str) -> bool:
    name = str(category).removeprefix("CATEGORY_").removeprefix("UNI_").removeprefix("LOC_")
    negate = name.startswith("NOT_")
    name = name.removeprefix("NOT_")
    if name == "DIGIT":
        result = ch.isdecimal()
    elif name == "SPACE":
        result = ch.isspace()
    elif name == "WORD":
        result = ch.isalnum() or ch == "_"
    elif name == "LINEBREAK":
        result = ch == "\n"
    else:  # an unknown category: assume it may match anything (the safe answer for overlap)
        return True
    return result != negate


def _atom_matches(op, av, ch: str) -> bool:
    """Whether one parsed single-character item (literal, class, ``.``) may match ``ch``
    (case-insensitively, as rules run)."""
    from re import _constants as c

    folded = {ch, ch.lower(), ch.upper()}
    if op == c.LITERAL:
        return chr(av) in folded or chr(av).lower() in folded
    if op == c.NOT_LITERAL:
        return not (chr(av) in folded or chr(av).lower() in folded)
    if op == c.ANY:
        return ch != "\n"
    if op == c.IN:
        negate = False
        hit = False
        for item_op, item_av in av:
            if item_op == c.NEGATE:
                negate = True
            elif item_op == c.LITERAL:
                hit = hit or chr(item_av) in folded or chr(item_av).lower() in folded
            elif item_op == c.RANGE:
                low, high = item_av
                hit = hit or any(low <= ord(x) <= high for x in folded)
            elif item_op == c.CATEGORY:
                hit = hit or _category_matches(item_av, ch)
            else:
                hit = True
        return hit != negate
    return False


def _pattern_leaves(items):
    """The parsed pattern's leaf nodes ``(op, av)`` in order, through repeats, groups and branches."""
    from re import _constants as c

    for op, av in items:
        if op in _repeat_ops():
            yield from _pattern_leaves(av[2])
        elif op == c.SUBPATTERN:
            yield from _pattern_leaves(av[-1])
        elif op == c.BRANCH:
            for branch in av[1]:
                yield from _pattern_leaves(branch)
        elif op == c.ATOMIC_GROUP:
            yield from _pattern_leaves(av)
        else:
            yield op, av


def _pattern_alphabet(items) -> list[str]:
    """Every literal character and class boundary in a parsed pattern, in order."""
    from re import _constants as c

    out: list[str] = []
    for op, av in _pattern_leaves(items):
        if op in (c.LITERAL, c.NOT_LITERAL):
            out.append(chr(av))
        elif op == c.IN:
            for item_op, item_av in av:
                if item_op == c.LITERAL:
                    out.append(chr(item_av))
                elif item_op == c.RANGE:
                    out.extend((chr(item_av[0]), chr((item_av[0] + item_av[1]) // 2), chr(item_av[1])))
    return out


def _pattern_literals(items) -> str:
    """The pattern's literal characters in order (the tail that gets a probe past the engine's
    check for required text)."""
    from re import _constants as c

    return "".join(chr(av) for op, av in _pattern_leaves(items) if op == c.LITERAL)


def _has_adjacent_overlapping_repeats(items, pool: str) -> bool:
    """True when two unbounded repeats of single characters follow each other (with only
    optional items between) and can match the same character: ``\\w*\\w*``, ``\\d+\\s*\\d+``.
    Every way of splitting a run between them is tried: polynomial time in the run's length."""
    from re import _constants as c

    repeats = _repeat_ops()
    single = (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN)

    def repeated_atom(op, av):
        if op in repeats and _unbounded(av[1]) and len(av[2]) == 1 and av[2][0][0] in single:
            return av[2][0]
        return None

    def sequence(items) -> bool:
        # The unbounded repeats a run may still be in: the last one that must match at least
        # once, and every optional one after it (a run can skip those).
        open_atoms: list = []
        for op, av in items:
            atom = repeated_atom(op, av)
            if atom is not None:
                if any(_atom_matches(*before, ch) and _atom_matches(*atom, ch)
                       for before in open_atoms for ch in pool):
                    return True
                open_atoms = [*open_atoms, atom] if av[0] == 0 else [atom]
                continue
            if op in repeats and av[0] == 0:
                if nested(av[2]):
                    return True
                continue  # optional: a run may skip it, so the repeats around it still meet
            if op == c.AT:
                continue
            if nested([(op, av)]):
                return True
            open_atoms = []
        return False

    def nested(items) -> bool:
        for op, av in items:
            if op in repeats and sequence(av[2]):
                return True
            if op == c.SUBPATTERN and sequence(av[-1]):
                return True
            if op == c.BRANCH and any(sequence(branch) for branch in av[1]):
                return True
            if op == c.ATOMIC_GROUP and sequence(av):
                return True
        return False

    return sequence(items)


_SINGLE_ATOM = re.compile(r"\\[pP]\{[^}]*\}|\\[xX][0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\.|\[\^?\]?(?:\\.|[^\]])*\]|[^\\\[\]()|*+?{}]")
_QUANTIFIER = re.compile(r"\*|\+|\{(\d*),(\d*)\}")


def _repeated_alternations(pattern: str) -> list[list[str]]:
    """The alternatives of each group that is repeated without bound, as written:
    ``(a|aa)*`` -> [["a", "aa"]]. (The stdlib parser rewrites ``(a|a)`` and ``(\\s|\\S)``
    before they can be seen, and the ``regex`` engine does not, so this reads the source.)"""
    found: list[list[str]] = []
    stack: list[dict] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            match = _SINGLE_ATOM.match(pattern, i)
            i = match.end() if match and match.group().startswith("[") else i + 1
            continue
        if ch == "(":
            start = i + 1
            if pattern.startswith("?", start):
                colon = re.match(r"\?(?:[a-zA-Z-]*:|>)", pattern[start:])
                start += colon.end() if colon else 0
            stack.append({"start": start, "bars": []})
        elif ch == "|" and stack:
            stack[-1]["bars"].append(i)
        elif ch == ")" and stack:
            group = stack.pop()
            quantifier = _QUANTIFIER.match(pattern, i + 1)
            unbounded = quantifier is not None and (
                quantifier.group() in ("*", "+") or not quantifier.group(2) or int(quantifier.group(2)) > 10)
            if unbounded and group["bars"]:
                bounds = [group["start"] - 1, *group["bars"], i]
                found.append([pattern[bounds[n] + 1:bounds[n + 1]] for n in range(len(bounds) - 1)])
        i += 1
    return found


def _ambiguous_alternation(pattern: str, pool: str) -> str:
    """'' or the reason an alternation repeated without bound is ambiguous: alternatives of one
    character each (a class does the same in one step), an empty alternative, or two that can
    start with the same character, so a run can be split between them in exponentially many ways."""
    for alternatives in _repeated_alternations(pattern):
        if all(_SINGLE_ATOM.fullmatch(alternative) for alternative in alternatives):
            return "single"
        compiled = []
        for alternative in alternatives:
            try:
                compiled.append(regex.compile(alternative, regex.IGNORECASE | regex.V0))
            except (regex.error, OverflowError, RecursionError):
                compiled = []
                break
        if any(item.fullmatch("") for item in compiled):
            return "overlap"
        for ch in pool:
            if sum(item.match(ch, partial=True) is not None for item in compiled) > 1:
                return "overlap"
    return ""


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
    from re import _parser as parser

    items = parser.parse(pattern)
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
        compiled = regex.compile(pattern, regex.IGNORECASE | regex.V0)
        re.compile(pattern)
        from re import _parser as parser

        items = parser.parse(pattern)
    except (regex.error, re.error, OverflowError, RecursionError) as error:
        raise ValidationError(
            _("This is not a valid regular expression: %(error)s") % {"error": error}, code="invalid_regex"
        ) from error
    if _has_nested_quantifier(pattern):
        raise ValidationError(
            _("Nested repeats such as (a+)+ can take exponential time; rewrite the pattern without them."),
            code="catastrophic",
        )
    pool = "".join(dict.fromkeys(_pattern_alphabet(items) + list(_SAMPLE_CHARS)))
    ambiguous = _ambiguous_alternation(pattern, pool)
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


# --- compiling a kit ------------------------------------------------------------------------

def trie_regex(terms: list[str]) -> str:
    """One alternation for many literals with shared prefixes factored out (longest first)."""
    trie: dict = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        end = "" in node
        branches = []
        singles = []
        for ch in sorted(k for k in node if k):
            sub = build(node[ch])
            if sub == "":
                singles.append(ch)
            else:
                branches.append(re.escape(ch) + sub)
        if singles:
            branches.append(re.escape(singles[0]) if len(singles) == 1 else
                            "[" + "".join(re.escape(s) for s in singles) + "]")
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            return "(?:" + body + ")?"
        return body

    return build(trie)


@dataclass
class CompiledKit:
    terms: dict[str, list[TermRule]] = field(default_factory=dict)
    term_regex: re.Pattern | None = None
    patterns: list[PatternRule] = field(default_factory=list)
    channel_rules: dict = field(default_factory=dict)
    notation: dict = field(default_factory=dict)
    legal_footer: str = ""
    # The "*" rules merged with each channel's, built on first use.
    _merged_rules: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, *, rules: list[dict], channel_rules: dict, notation: dict, legal_footer: str) -> "CompiledKit":
        kit = cls(channel_rules=channel_rules or {}, notation=notation or {}, legal_footer=str(legal_footer or ""))
        for rule in rules:
            channels = frozenset(rule.get("channels") or ())
            if rule["kind"] == "pattern":
                try:
                    # Probed when saved (check_user_pattern); here only the cheap structural checks,
                    # the per-text time budget below being the last line of defence.
                    compiled = compile_user_pattern(rule["pattern"])
                except ValidationError:
                    continue  # never saved through the services; skip rather than crash
                kit.patterns.append(PatternRule(compiled, rule["pattern"], rule.get("replacement", ""),
                                                rule.get("message", ""), rule.get("severity", WARNING),
                                                channels, rule.get("id"), required_literal(rule["pattern"])))
            else:
                term = rule["pattern"]
                kit.terms.setdefault(term.casefold(), []).append(
                    TermRule(rule["kind"], term, rule.get("replacement", ""), rule.get("message", ""),
                             rule.get("severity", WARNING), channels, rule.get("id"))
                )
        if kit.terms:
            kit.term_regex = re.compile(trie_regex(sorted(kit.terms, key=len, reverse=True)), re.IGNORECASE)
        return kit

    # -- linting --------------------------------------------------------------------------
    def lint(self, text: str, channel: str, locale: str = "ja") -> list[Violation]:
        text = text or ""
        out: list[Violation] = []
        if len(text) > MAX_INPUT:
            out.append(Violation(MAX_INPUT, len(text), "input.too_long", INFO,
                                 _("Only the first %(n)d characters were checked.") % {"n": MAX_INPUT}))
            text = text[:MAX_INPUT]
        if self.term_regex is not None:
            self._lint_terms(text, channel, out)
        if self.patterns:
            self._lint_patterns(text, channel, out)
        self._lint_notation(text, locale, out)
        self._lint_channel(text, channel, out)
        out.sort(key=lambda v: (v.start, v.end))
        return out

    def _lint_terms(self, text: str, channel: str, out: list[Violation]) -> None:
        for match in self.term_regex.finditer(text):
            found = match.group()
            start, end = match.span()
            for rule in self.terms.get(found.casefold(), ()):
                if rule.channels and channel not in rule.channels:
                    continue
                if rule.replacement and _inside_replacement(text, start, rule.term, rule.replacement):
                    continue
                if rule.kind == "banned":
                    message = rule.message or _("“%(term)s” is a banned term.") % {"term": rule.term}
                    rule_name = "banned_term"
                elif rule.kind == "spelling":
                    message = rule.message or _("Spell the product name “%(right)s”.") % {"right": rule.replacement}
                    rule_name = "product_spelling"
                else:
                    message = rule.message or _("Write “%(right)s”, not “%(wrong)s”.") % {
                        "right": rule.replacement, "wrong": found}
                    rule_name = "preferred_term"
                out.append(Violation(start, end, rule_name, rule.severity, message, rule.replacement, found))

    def _lint_patterns(self, text: str, channel: str, out: list[Violation]) -> None:
        deadline = time.monotonic() + PATTERN_BUDGET_S
        folded = text.casefold()
        for rule in self.patterns:
            if rule.channels and channel not in rule.channels:
                continue
            if rule.required and rule.required not in folded:
                continue
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise TimeoutError
                for match in rule.compiled.finditer(text, timeout=min(PATTERN_TIMEOUT_S, remaining)):
                    out.append(Violation(match.start(), match.end(), "pattern", rule.severity,
                                         rule.message or _("Matches the rule %(pattern)s.") % {"pattern": rule.source},
                                         rule.replacement, match.group()))
            except TimeoutError:
                out.append(Violation(0, 0, "pattern.timeout", INFO,
                                     _("The rule %(pattern)s took too long and was skipped.") % {"pattern": rule.source}))

    def _lint_notation(self, text: str, locale: str, out: list[Violation]) -> None:
        notation = self.notation
        fullwidth = notation.get("fullwidth_alnum", True)
        japanese = locale.startswith("ja")
        halfwidth = japanese and notation.get("halfwidth_katakana", True)
        long_vowel = japanese and notation.get("long_vowel", True)
        for match in NOTATION.finditer(text):
            kind = match.lastgroup
            found = match.group(kind)
            start, end = match.span(kind)
            if kind == "fw" and fullwidth:
                out.append(Violation(start, end, "notation.fullwidth_alnum", WARNING,
                                     _("Use half-width digits and letters."), unicodedata.normalize("NFKC", found),
                                     found))
            elif kind == "hk" and halfwidth:
                out.append(Violation(start, end, "notation.halfwidth_katakana", WARNING,
                                     _("Use full-width katakana."), unicodedata.normalize("NFKC", found), found))
            elif kind == "lv" and long_vowel:
                out.append(Violation(start, end, "notation.long_vowel", WARNING,
                                     _("Use the long-vowel mark “ー” after katakana."), "ー", found))

    def _lint_channel(self, text: str, channel: str, out: list[Violation]) -> None:
        rules = self._merged_rules.get(channel)
        if rules is None:
            rules = self._merged_rules[channel] = {**(self.channel_rules.get("*") or {}),
                                                   **(self.channel_rules.get(channel) or {})}
        exclamation_max = rules.get("exclamation_max")
        if exclamation_max is not None:
            for index, match in enumerate(EXCLAMATION.finditer(text)):
                if index >= exclamation_max:
                    message = (_("No exclamation marks in this channel.") if exclamation_max == 0 else
                               _("At most %(n)d exclamation mark(s) in this channel.") % {"n": exclamation_max})
                    out.append(Violation(match.start(), match.end(), "exclamation", WARNING, message,
                                         "。" if match.group() == "！" else ".", match.group()))
        if rules.get("emoji") is False:
            for match in EMOJI.finditer(text):
                out.append(Violation(match.start(), match.end(), "emoji", WARNING,
                                     _("No emoji in this channel."), "", match.group()))
        max_length = rules.get("max_length")
        if max_length and len(text) > max_length:
            out.append(Violation(max_length, len(text), "max_length", ERROR,
                                 _("%(n)d characters over the limit of %(max)d for this channel.") % {
                                     "n": len(text) - max_length, "max": max_length},
                                 _("Shorten by %(n)d characters.") % {"n": len(text) - max_length}))
        required = rules.get("required") or ()
        if "unsubscribe" in required and not UNSUBSCRIBE.search(text):
            out.append(Violation(len(text), len(text), "required.unsubscribe", ERROR,
                                 _("Marketing email must contain an unsubscribe link."), "{{ unsubscribe_url }}"))
        if "legal_footer" in required and not self.legal_footer.strip():
            # The services refuse to save or publish such a kit; one kept from before cannot be
            # satisfied, so say so rather than pass the copy unchecked.
            out.append(Violation(len(text), len(text), "required.legal_footer", ERROR,
                                 _("This channel requires the legal footer, but the brand kit has none: "
                                   "add it to the kit's identity.")))
        elif "legal_footer" in required and _normalise(self.legal_footer) not in _normalise(text):
            out.append(Violation(len(text), len(text), "required.legal_footer", ERROR,
                                 _("The legal footer is missing."), self.legal_footer))


def _normalise(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value).split())


def _inside_replacement(text: str, start: int, term: str, replacement: str) -> bool:
    """True when the flagged term is part of its own correct form (お客 inside お客様)."""
    folded_term, folded_repl = term.casefold(), replacement.casefold()
    offset = folded_repl.find(folded_term)
    while offset != -1:
        begin = start - offset
        if begin >= 0 and text[begin:begin + len(replacement)].casefold() == folded_repl:
            return True
        offset = folded_repl.find(folded_term, offset + 1)
    return False


def score(violations: list[Violation]) -> int:
    """0-100 for one text: errors cost 25, warnings 10, info 0."""
    cost = sum(25 if v.severity == ERROR else 10 if v.severity == WARNING else 0 for v in violations)
    return max(0, 100 - cost)
