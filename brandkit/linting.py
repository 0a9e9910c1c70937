"""The content linter: a kit's editorial rules compiled once, then applied to copy.

``services.lint(text, channel, locale)`` returns ``Violation`` rows. Rules compile into a
``CompiledKit``, built once per version and kept per process (``compiled_kit``), so linting is
a handful of regex scans:

* every literal term (banned, preferred, product-name spelling) goes into ONE regular
  expression built as a trie (shared prefixes are factored out), so 200 terms cost one scan;
* notation rules (full-width digits/letters, half-width katakana, long-vowel marks),
  exclamation marks and emoji are fixed, trusted expressions;
* user-supplied regular expressions are the only untrusted part. Their cost is bounded in
  three layers. On save ``regex_safety.check_user_pattern`` refuses the shapes that backtrack
  catastrophically and times the pattern on adversarial probes; a compiled kit re-runs the
  structural checks (``regex_safety.compile_user_pattern``) and skips a rule that fails them.
  At lint time input is capped at ``MAX_INPUT`` characters and every match call of a user
  pattern runs in the ``regex`` package with ``timeout=`` drawn from a per-text budget
  (``PATTERN_BUDGET_S``), so one text can never take longer than that budget in user
  patterns whatever slips through (a rule saved before these checks, or a pattern quadratic
  in a run of digits on a 20,000-digit text). A timed-out rule is skipped and reported as an
  info violation instead of hanging the worker.
"""

import re
import time
import unicodedata
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import BrandKitVersion
from .regex_safety import compile_user_pattern, required_literal
from .theme import active_version_id

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
                    # Probed when saved (regex_safety.check_user_pattern); here only the structural checks,
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


# --- the compiled kit of a version, kept per process ----------------------------------------

_compiled: dict = {}


def compiled_kit(version=None) -> CompiledKit:
    """The ``CompiledKit`` for ``version`` (default: the active published one), built once per
    process: published versions never change; a draft is keyed by its ``updated_at``."""
    if version is None:
        version_id = active_version_id()
        if version_id is None:
            key = ("none",)
            if key not in _compiled:
                _compiled[key] = CompiledKit.build(rules=[], channel_rules={}, notation={}, legal_footer="")
            return _compiled[key]
        key = (version_id, "published")
        if key in _compiled:
            return _compiled[key]
        version = BrandKitVersion.objects.get(pk=version_id)
    key = (version.pk, "published") if not version.is_draft else (version.pk, version.updated_at.isoformat())
    kit = _compiled.get(key)
    if kit is None:
        rules = list(version.rules.values("id", "kind", "pattern", "replacement", "message", "severity", "channels"))
        kit = CompiledKit.build(rules=rules, channel_rules=version.channel_rules, notation=version.notation,
                                legal_footer=(version.identity or {}).get("legal_footer", ""))
        if len(_compiled) > 64:
            _compiled.clear()
        _compiled[key] = kit
    return kit
