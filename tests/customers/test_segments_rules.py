"""Segment rules: validation names the bad path; dynamic segments compile to ONE SQL query whose
result equals a customer-by-customer Python reference on a mixed set of customers."""

import pytest

from customers import segments
from customers.errors import SegmentRulesInvalid
from customers.scores import scores_recompute
from tests.customers.segments_world import NOW, build_world, reference_ids

pytestmark = pytest.mark.django_db


def one(field, operator, value, **extras):
    return {"match": "all", "groups": [{"match": "all", "conditions": [
        {"field": field, "operator": operator, "value": value, **extras}]}]}


@pytest.fixture
def world(shop):
    world = build_world(shop)
    scores_recompute(now=NOW)
    return world


def cases(shop):
    return [
        one("age", "gte", 30), one("age", "lte", 29), one("age", "eq", 30),
        one("birthday_month", "in", [1, 2, 12]),
        one("gender", "in", ["female", "other"]), one("gender", "not_in", ["male"]),
        one("prefecture", "in", ["13", "14"]), one("prefecture", "not_in", ["13"]),
        one("city", "eq", "渋谷区"), one("city", "contains", "市"),
        one("distance_to_store", "within_km", 60, location=shop.store_a.pk),
        one("distance_to_store", "within_km", 450, location=shop.store_b.pk),
        one("rfm_r", "gte", 4), one("rfm_f", "eq", 1), one("rfm_m", "lte", 2),
        one("rfm_segment", "in", ["champions", "at_risk", "hibernating"]), one("rfm_segment", "not_in", ["new"]),
        one("clv", "gte", 6000),
        one("bought_product", "in_last_days", "linen-shirt", days=90),
        one("bought_product", "in_last_days", "TEA-1", days=200),
        one("bought_product", "not_in_last_days", "LS-S", days=30),
        one("bought_category", "in_last_days", "茶", days=90),
        one("bought_category", "not_in_last_days", "シャツ", days=365),
        one("channels_used", "any_of", ["pos"]), one("channels_used", "any_of", ["web", "app"]),
        one("event", "in_last_days", "store_visit", days=60),
        one("event", "not_in_last_days", "email_opened", days=100),
        one("cart_abandoned", "idle_hours", 24),
        one("days_since_last_visit", "gte", 30), one("days_since_last_visit", "lte", 45),
        one("size", "eq", "M", size_kind="tops"),
        one("interests", "any_of", ["茶", "linen"]), one("interests", "all_of", ["茶", "linen"]),
        one("preferred_channel", "in", ["line"]),
        one("language", "in", ["en"]), one("language", "not_in", ["ja"]),
        one("favourite_store", "in", [shop.store_a.pk]), one("favourite_store", "not_in", [shop.store_b.pk]),
        one("consent", "granted", "email", purpose="marketing"),
        one("consent", "not_granted", "line", purpose="marketing"),
        one("consent", "granted", "email", purpose="personalisation"),
        {"match": "any", "groups": [
            {"match": "all", "conditions": [{"field": "prefecture", "operator": "in", "value": ["27"]},
                                            {"field": "rfm_r", "operator": "gte", "value": 3}]},
            {"match": "any", "conditions": [{"field": "interests", "operator": "any_of", "value": ["茶"]},
                                            {"field": "consent", "operator": "granted", "value": "line",
                                             "purpose": "marketing"}]}]},
        {"match": "all", "groups": [
            {"match": "all", "conditions": [
                {"field": "rfm_f", "operator": "gte", "value": 2},
                {"field": "prefecture", "operator": "not_in", "value": ["01"]},
                {"field": "bought_category", "operator": "in_last_days", "value": "シャツ", "days": 365},
                {"field": "consent", "operator": "granted", "value": "email", "purpose": "marketing"}]}]},
    ]


def test_every_field_matches_the_python_reference_in_one_query(world, shop, django_assert_num_queries):
    nonempty = 0
    for rules in cases(shop):
        clean = segments.rules_clean(rules)
        expected = reference_ids(clean)
        distance = any(c["field"] == "distance_to_store" for g in clean["groups"] for c in g["conditions"])
        with django_assert_num_queries(2 if distance else 1):  # + the store's prefecture for a distance
            got = set(segments.rules_customers(clean, now=NOW).values_list("pk", flat=True))
        assert got == expected, rules
        nonempty += bool(expected) and len(expected) < len(world.customers)
    assert nonempty >= 30  # the dataset really separates customers for nearly every rule


def test_a_count_is_one_query(world, shop, django_assert_num_queries):
    clean = segments.rules_clean(cases(shop)[-1])
    with django_assert_num_queries(1):
        count = segments.rules_customers(clean, now=NOW).count()
    assert count == len(reference_ids(clean))


def test_age_turns_on_the_birthday(world):
    thirty_today, twenty_nine = world.customers[3], world.customers[4]
    ids = set(segments.rules_customers(segments.rules_clean(one("age", "eq", 30)), now=NOW).values_list(
        "pk", flat=True))
    assert thirty_today.pk in ids and twenty_nine.pk not in ids


def test_distance_uses_prefecture_offices():
    assert segments.prefectures_within("27", 60) == ["25", "26", "27", "28", "29"]
    assert "13" not in segments.prefectures_within("27", 300)
    assert round(segments.distance_km("13", "27")) in range(395, 405)


@pytest.mark.parametrize(("rules", "path"), [
    (one("shoe_size", "eq", 3), "rules.groups.0.conditions.0.field"),
    (one("age", "between", 3), "rules.groups.0.conditions.0.operator"),
    (one("age", "gte", "old"), "rules.groups.0.conditions.0.value"),
    (one("age", "gte", True), "rules.groups.0.conditions.0.value"),
    (one("prefecture", "in", ["99"]), "rules.groups.0.conditions.0.value"),
    (one("bought_category", "in_last_days", "茶"), "rules.groups.0.conditions.0.days"),
    (one("bought_category", "in_last_days", "茶", days=0), "rules.groups.0.conditions.0.days"),
    (one("age", "gte", 3, days=4), "rules.groups.0.conditions.0.days"),
    (one("consent", "granted", "fax", purpose="marketing"), "rules.groups.0.conditions.0.value"),
    (one("consent", "granted", "email", purpose="spam"), "rules.groups.0.conditions.0.purpose"),
    (one("size", "eq", "M", size_kind="Tops; DROP"), "rules.groups.0.conditions.0.size_kind"),
    ({"match": "all", "groups": []}, "rules.groups"),
    ({"match": "some", "groups": [{"conditions": [{"field": "age", "operator": "gte", "value": 1}]}]},
     "rules.match"),
    ({"groups": [{"match": "all", "conditions": []}]}, "rules.groups.0.conditions"),
    ({"groups": [{"conditions": [{"field": "age", "operator": "gte", "value": 1}, "x"]}]},
     "rules.groups.0.conditions.1"),
    ({"groups": [{"conditions": [{"field": "age", "operator": "gte", "value": 1}]}], "limit": 3}, "rules.limit"),
])
def test_bad_rules_are_refused_naming_the_path(rules, path):
    with pytest.raises(SegmentRulesInvalid) as caught:
        segments.rules_clean(rules)
    assert path in caught.value.errors, caught.value.errors


def test_every_bad_condition_is_reported_at_once():
    rules = {"groups": [{"conditions": [{"field": "age", "operator": "gte", "value": 1},
                                        {"field": "nope", "operator": "eq", "value": 1}]},
                        {"conditions": [{"field": "age", "operator": "zz", "value": 1}]}]}
    with pytest.raises(SegmentRulesInvalid) as caught:
        segments.rules_clean(rules)
    assert set(caught.value.errors) == {"rules.groups.0.conditions.1.field", "rules.groups.1.conditions.0.operator"}


def test_counts_of_many_segments_are_one_query(world, shop, django_assert_num_queries):
    made = [segments.segment_create(name=f"s{i}", rules=rules) for i, rules in enumerate(cases(shop)[:8])]
    with django_assert_num_queries(1):
        counts = segments.segment_counts(made)
    for segment in made:
        assert counts[segment.pk] == len(reference_ids(segment.rules))


def test_a_size_kind_named_like_a_lookup_stays_a_key(shop):
    from customers.models import Customer

    odd = Customer.objects.create(email="odd@example.jp", family_name="山田", sizes={"contains": "M"})
    Customer.objects.create(email="plain@example.jp", family_name="山田", sizes={"tops": "M"})
    rules = segments.rules_clean(one("size", "eq", "M", size_kind="contains"))
    assert list(segments.rules_customers(rules).values_list("pk", flat=True)) == [odd.pk]
