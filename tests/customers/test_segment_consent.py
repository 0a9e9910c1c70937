"""The segment builder's consent rule answers exactly as the consent module's audience check
(``customers.consent.customers_consenting``, which campaigns use): per channel and purpose the
latest decision wins; "not opted in" is everybody else, the never-asked included."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers import consent, segments
from customers.consent import consent_grant, consent_withdraw
from customers.errors import SegmentRulesInvalid
from customers.models import ConsentChannel, ConsentPurpose, ConsentRecord, Customer, consent_applies
from tests.customers.segments_world import build_world

pytestmark = pytest.mark.django_db


def rule(operator: str, channel: str = "email", purpose: str = "marketing") -> dict:
    return segments.rules_clean({"groups": [{"conditions": [
        {"field": "consent", "operator": operator, "value": channel, "purpose": purpose}]}]})


def ids(rules) -> set[int]:
    return set(segments.rules_customers(rules).values_list("pk", flat=True))


@pytest.fixture
def people(db):
    return {name: Customer.objects.create(email=f"{name}@example.jp", family_name=name)
            for name in ("in_then_out", "out_then_in", "never", "other_purpose", "other_channel")}


def test_a_customer_who_opted_in_then_out_is_not_in_the_segment(people):
    kept = segments.segment_create(name="メール配信可", rules=rule("granted"))
    consent_grant(customer=people["in_then_out"], channel="email", source="storefront")
    consent_grant(customer=people["out_then_in"], channel="email", source="storefront")
    assert {c.pk for c in segments.segment_customers(kept)} == {people["in_then_out"].pk, people["out_then_in"].pk}

    consent_withdraw(customer=people["in_then_out"], channel="email", source="unsubscribe")
    consent_withdraw(customer=people["out_then_in"], channel="email", source="unsubscribe")
    consent_grant(customer=people["out_then_in"], channel="email", source="storefront")
    consent_grant(customer=people["other_purpose"], channel="email", purpose="personalisation", source="storefront")
    consent_grant(customer=people["other_channel"], channel="line", source="storefront")

    assert ids(rule("granted")) == {people["out_then_in"].pk}  # the opt-out took effect at once
    assert segments.segment_counts([kept]) == {kept.pk: 1}
    assert ids(rule("not_granted")) == {people[n].pk for n in ("in_then_out", "never", "other_purpose",
                                                               "other_channel")}


def test_the_latest_decision_wins_even_when_rows_share_a_timestamp(people):
    """Two ledger rows with the same time (an import keeps the original times): the later row
    (higher id) wins, as in the consent module."""
    person = people["in_then_out"]
    consent_grant(customer=person, channel="email", source="import")
    consent_withdraw(customer=person, channel="email", source="import")
    ConsentRecord.objects.filter(customer=person).update(created_at=timezone.now() - timedelta(days=1))
    assert not consent.consent_allows(customer=person, channel="email")
    assert person.pk not in ids(rule("granted")) and person.pk in ids(rule("not_granted"))


def test_never_asked_customers_are_not_opted_in(people):
    # ``~consent_q`` alone would leave them out of both sides (SQL: NOT NULL is NULL)
    everybody = set(Customer.objects.values_list("pk", flat=True))
    assert ids(rule("granted")) == set() and ids(rule("not_granted")) == everybody


def test_segments_and_the_audience_check_agree_for_every_channel_and_purpose(shop):
    build_world(shop, n=30)
    everybody = set(Customer.objects.values_list("pk", flat=True))
    separated = 0
    for channel in ConsentChannel.values:
        for purpose in ConsentPurpose.values:
            if not consent_applies(channel, purpose):  # the online store sends no marketing
                continue
            audience = set(consent.customers_consenting(channel=channel, purpose=purpose).values_list("pk",
                                                                                                    flat=True))
            granted, refused = ids(rule("granted", channel, purpose)), ids(rule("not_granted", channel, purpose))
            assert granted == audience, (channel, purpose)
            assert refused == everybody - audience, (channel, purpose)
            separated += 0 < len(audience) < len(everybody)
    assert separated >= 2  # email and line marketing at least really split the customers


def test_consent_inside_an_any_group_keeps_the_never_asked(people):
    """OR with "not opted in": a never-asked customer matches through the consent branch."""
    rules = segments.rules_clean({"groups": [{"match": "any", "conditions": [
        {"field": "prefecture", "operator": "in", "value": ["47"]},
        {"field": "consent", "operator": "not_granted", "value": "sms", "purpose": "marketing"}]}]})
    assert people["never"].pk in ids(rules)


def test_a_marketing_rule_on_the_online_store_is_refused_naming_the_purpose(shop):
    """The online store (channel web) carries analytics and personalisation, never marketing."""
    with pytest.raises(SegmentRulesInvalid) as refused:
        segments.rules_clean({"groups": [{"conditions": [
            {"field": "consent", "operator": "granted", "value": "web", "purpose": "marketing"}]}]})
    assert list(refused.value.errors) == ["rules.groups.0.conditions.0.purpose"]
    rules = segments.rules_clean({"groups": [{"conditions": [
        {"field": "consent", "operator": "granted", "value": "web", "purpose": "analytics"}]}]})
    assert segments.rules_customers(rules).count() == 0
