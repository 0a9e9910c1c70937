"""Save-time safety of staff-supplied regular expressions (regex_safety.check_user_pattern)."""


import pytest
from django.core.exceptions import ValidationError

from brandkit import linting, regex_safety, services
from brandkit.linting import CompiledKit
from brandkit.regex_safety import check_user_pattern

CATASTROPHIC = [r"(a|aa)*c", r"(a|a)*b", r"(?:\s|\S)*Z", r"\w*\w*\w*\w*\w*x"]
ORDINARY = [r"\d+円", r"(?:今だけ|限定)", r"[０-９]+", r"[0-9]+%\s*OFF", r"送料\s*無料[!！]+", r"今だけ.{0,5}限定",
            r"\d{1,3}(?:,\d{3})+円", r"https?://\S+", r"(?:今だけ|期間限定)+", r"No\.\s?1"]


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_refused_with_a_field_error_on_save(draft, pattern):
    rules_before = draft.rules.count()
    with pytest.raises(ValidationError) as caught:
        services.rules_set(version=draft, rules=[services.RuleIn("banned", "激安"),
                                                 services.RuleIn("pattern", pattern, message="x")])
    assert set(caught.value.message_dict) == {"rules.1.pattern"}
    assert caught.value.message_dict["rules.1.pattern"][0].strip()
    assert draft.rules.count() == rules_before


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_patterns_are_refused_by_shape_not_by_luck_of_timing(pattern):
    with pytest.raises(ValidationError) as caught:
        regex_safety.compile_user_pattern(pattern)
    assert caught.value.code == "catastrophic"


@pytest.mark.parametrize("pattern", ORDINARY)
def test_ordinary_patterns_are_accepted(draft, pattern):
    check_user_pattern(pattern)
    [rule] = services.rules_set(version=draft, rules=[services.RuleIn("pattern", pattern)])
    assert rule.pattern == pattern


def test_probes_are_built_from_the_patterns_own_alphabet_with_a_tail_carrying_its_literals():
    probes = regex_safety.pattern_probes(r"(?:ab|cd)+[xy]円")
    assert any(probe.startswith("c" * 100) for probe in probes)
    assert any(probe.startswith("y" * 100) for probe in probes)
    assert any(probe.endswith("\x00abcd円") for probe in probes)  # fails to match, yet holds every literal
    assert all(len(probe) <= regex_safety.PROBE_LENGTH + 20 for probe in probes)


def test_a_pattern_slow_on_its_probes_is_refused_even_with_no_refused_shape():
    pattern = "[a-z]+a[a-z]+a[a-z]+x"  # cubic on a run of "a" that does not end in x
    regex_safety.compile_user_pattern(pattern)  # no structural objection...
    with pytest.raises(ValidationError) as caught:
        check_user_pattern(pattern)
    assert caught.value.code == "too_slow"


def test_accepted_patterns_stay_fast_on_the_longest_text_the_linter_reads(monkeypatch):
    """Every accepted pattern finishes on the longest text within the linter's budgets. The
    budgets are widened forty times here so a machine busy with other work cannot fail it,
    while a backtracking pattern (seconds to years on this text) still would."""
    monkeypatch.setattr(linting, "PATTERN_TIMEOUT_S", linting.PATTERN_TIMEOUT_S * 40)
    monkeypatch.setattr(linting, "PATTERN_BUDGET_S", linting.PATTERN_BUDGET_S * 40)
    kit = CompiledKit.build(rules=[{"kind": "pattern", "pattern": p} for p in ORDINARY], channel_rules={},
                            notation={}, legal_footer="")
    assert len(kit.patterns) == len(ORDINARY)
    text = ("リネンのシャツ、今だけ限定30% OFF。" * 1000)[:linting.MAX_INPUT]
    violations = kit.lint(text, "web", "ja")
    assert "pattern.timeout" not in {v.rule for v in violations}


def test_the_api_refuses_a_catastrophic_pattern_with_the_field_path(client, staff, kit):
    client.force_login(staff["hq_marketer"])
    draft = client.post(f"/api/v1/brandkit/kits/{kit.pk}/draft/").json()
    response = client.put(f"/api/v1/brandkit/versions/{draft['id']}/rules/",
                          {"rules": [{"kind": "pattern", "pattern": r"(?:\s|\S)*Z"}]},
                          content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["rules.0.pattern"]
