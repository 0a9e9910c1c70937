import time

import pytest
from django.core.exceptions import ValidationError

from brandkit import linting, services
from brandkit.linting import CompiledKit
from brandkit.regex_safety import check_user_pattern


def rules_of(*specs):
    return [{"kind": k, "pattern": p, "replacement": r, "severity": "warning", "channels": c}
            for k, p, r, c in specs]


def kinds(violations):
    return [v.rule for v in violations]


def test_banned_and_preferred_terms_point_at_the_text_with_a_suggestion(kit):
    text = "激安のお客向けセール。メイルでお知らせします。"
    violations = services.lint(text, "web", "ja")
    banned = next(v for v in violations if v.rule == "banned_term")
    assert text[banned.start:banned.end] == "激安"
    assert banned.severity == "error"
    preferred = [v for v in violations if v.rule == "preferred_term"]
    assert {(text[v.start:v.end], v.suggestion) for v in preferred} == {("お客", "お客様"), ("メイル", "メール")}


def test_preferred_term_inside_its_correct_form_is_not_flagged(kit):
    assert "preferred_term" not in kinds(services.lint("お客様へのご案内", "web", "ja"))


def test_fullwidth_digits_and_halfwidth_katakana_are_normalised():
    kit = CompiledKit.build(rules=[], channel_rules={}, notation={}, legal_footer="")
    text = "価格は１２００円、ｻｲｽﾞはＬ。"
    violations = kit.lint(text, "web", "ja")
    assert [v.suggestion for v in violations if v.rule == "notation.fullwidth_alnum"] == ["1200", "L"]
    found = {v.rule: v for v in violations}
    assert found["notation.halfwidth_katakana"].suggestion == "サイズ"
    assert text[found["notation.halfwidth_katakana"].start:found["notation.halfwidth_katakana"].end] == "ｻｲｽﾞ"


def test_long_vowel_written_with_a_hyphen_after_katakana_is_flagged():
    kit = CompiledKit.build(rules=[], channel_rules={}, notation={}, legal_footer="")
    violations = kit.lint("コンピュ-タ と 2-3日", "web", "ja")
    assert [(v.rule, v.suggestion, v.start) for v in violations] == [("notation.long_vowel", "ー", 4)]


def test_japanese_notation_rules_do_not_apply_to_english_copy():
    kit = CompiledKit.build(rules=[], channel_rules={}, notation={}, legal_footer="")
    assert kinds(kit.lint("ｻｲｽﾞ", "web", "en")) == []


def test_sms_forbids_exclamation_and_emoji_and_enforces_length(kit):
    text = "本日限り！送料無料です😀" + "あ" * 70
    found = kinds(services.lint(text, "sms", "ja"))
    assert "exclamation" in found and "emoji" in found and "max_length" in found


def test_marketing_email_requires_unsubscribe_link_and_legal_footer(kit):
    found = kinds(services.lint("新作のご案内です。", "email", "ja"))
    assert "required.unsubscribe" in found and "required.legal_footer" in found
    footer = kit.published_version.identity["legal_footer"]
    ok = services.lint(f"新作のご案内です。\n配信停止はこちら {{{{ unsubscribe_url }}}}\n{footer}", "email", "ja")
    assert not {"required.unsubscribe", "required.legal_footer"} & set(kinds(ok))


def test_user_pattern_rule_matches_and_is_scoped_to_its_channels():
    kit = CompiledKit.build(rules=rules_of(("pattern", r"[0-9]+%\s*OFF", "", ["social"])), channel_rules={},
                            notation={}, legal_footer="")
    assert kinds(kit.lint("今だけ30% OFF", "social", "ja")) == ["pattern"]
    assert kinds(kit.lint("今だけ30% OFF", "web", "ja")) == []


def test_unknown_channel_is_refused(kit):
    with pytest.raises(ValidationError):
        services.lint("x", "fax", "ja")


@pytest.mark.parametrize("pattern, code", [
    ("(a+)+$", "catastrophic"),
    ("(x*y?)*z", "catastrophic"),
    ("([a-z]+)*@", "catastrophic"),
    ("(a|aa)+$", "catastrophic"),
    ("[a-z]+a[a-z]+a[a-z]+x", "too_slow"),  # no refused shape, but cubic on a run of "a": the probes catch it
    (r"(\w)\1", "unsupported"),
    ("(?=foo)bar", "unsupported"),
    ("[abc", "invalid_regex"),
    ("a" * 201, "too_long"),
    ("x*", "matches_empty"),
])
def test_dangerous_or_broken_patterns_are_refused(pattern, code):
    with pytest.raises(ValidationError) as caught:
        check_user_pattern(pattern)
    assert caught.value.code == code


def test_pattern_that_slips_through_is_cut_off_by_the_time_budget(monkeypatch):
    import regex

    slow = regex.compile(r"(a|aa)+$")
    rule = linting.PatternRule(slow, "(a|aa)+$", "", "", "warning", frozenset())
    kit = CompiledKit(patterns=[rule])
    started = time.monotonic()
    violations = kit.lint("a" * 60 + "b", "web", "ja")
    assert time.monotonic() - started < 1.0
    assert "pattern.timeout" in kinds(violations)


def test_trie_regex_matches_every_term_and_prefers_the_longest():
    import re

    terms = ["セール", "セール品", "新作", "新", "Tシャツ"]
    pattern = re.compile(linting.trie_regex(sorted(terms, key=len, reverse=True)))
    assert [m.group() for m in pattern.finditer("新作のセール品とTシャツ、新")] == ["新作", "セール品", "Tシャツ", "新"]


def test_compiled_rules_are_reused_between_calls(kit, django_assert_num_queries):
    services.lint("テスト", "web", "ja")
    with django_assert_num_queries(0):
        services.lint("テスト2", "web", "ja")


def test_recorded_checks_feed_the_consistency_score(kit):
    from brandkit.selectors import consistency_scores

    services.lint("良いコピーです。", "web", "ja", record="test")
    services.lint("激安", "web", "ja", record="test")
    assert consistency_scores()["web"] == {"label": consistency_scores()["web"]["label"], "total": 2, "score": 50}
