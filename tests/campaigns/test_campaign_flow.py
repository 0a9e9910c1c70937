"""A campaign's life through the services: written, checked, approved by a second marketer
(never the author), started or scheduled, cancelled; bad input refused with the field named."""

from datetime import time, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns import services
from campaigns.errors import CampaignError, CampaignInvalid, CampaignNotReady
from campaigns.models import Campaign, CampaignStatus
from kernel.models import AuditEntry
from tests.campaigns.world import approved, build_world, write_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, settings):
    settings.LANGUAGE_CODE = "en"  # the messages asserted below are the English ones
    return build_world()


def test_a_campaign_starts_as_a_draft_with_default_quiet_hours_and_its_own_code(world):
    campaign = services.campaign_create(name="秋の新作", acting_user=world.author, segments=[world.segment])
    assert campaign.status == CampaignStatus.DRAFT
    assert (campaign.quiet_start, campaign.quiet_end) == (time(21), time(8))
    assert campaign.code.startswith("C") and len(campaign.code) == 8
    assert AuditEntry.objects.filter(action="campaign_create", object_id=str(campaign.pk)).exists()


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": " "}, "name"),
    ({"quiet_start": time(21), "quiet_end": None}, "quiet_end"),
    ({"send_at": "past"}, "send_at"),
])
def test_bad_campaign_fields_are_named_and_nothing_is_stored(world, fields, field):
    if fields.get("send_at") == "past":
        fields["send_at"] = timezone.now() - timedelta(hours=1)
    name = fields.pop("name", "秋の新作")
    with pytest.raises(CampaignInvalid) as caught:
        services.campaign_create(name=name, acting_user=world.author, **fields)
    assert field in caught.value.errors
    assert not Campaign.objects.exists()


def test_a_segment_both_targeted_and_excluded_is_refused(world):
    with pytest.raises(CampaignInvalid) as caught:
        services.campaign_create(name="x", acting_user=world.author, segments=[world.segment],
                                 excluded_segments=[world.segment])
    assert "excluded_segments" in caught.value.errors


def test_a_message_with_an_unknown_merge_field_is_refused_naming_its_line(world):
    campaign = services.campaign_create(name="x", acting_user=world.author, segments=[world.segment])
    with pytest.raises(CampaignInvalid) as caught:
        services.message_set(campaign=campaign, channel="email", language="ja", acting_user=world.author,
                             subject="件名", body="一行目\n{{ nickname }}")
    assert caught.value.errors["body"] == ["Line 2: “nickname” is not a merge field."] or \
        "nickname" in caught.value.errors["body"][0]
    assert not campaign.messages.exists()


@pytest.mark.parametrize(("values", "field"), [
    ({"channel": "email", "subject": ""}, "subject"),
    ({"channel": "sms", "body": "あ" * 671}, "body"),
    ({"channel": "email", "cta_url": "javascript:alert(1)"}, "cta_url"),
    ({"channel": "email", "cta_url": "http://insecure.example/"}, "cta_url"),
    ({"channel": "email", "body": "{% if name %}閉じていない"}, "body"),
])
def test_bad_messages_are_refused_with_the_field_named(world, values, field):
    campaign = services.campaign_create(name="x", acting_user=world.author, segments=[world.segment])
    args = {"language": "ja", "subject": "件名", "body": "本文", **values}
    with pytest.raises(CampaignInvalid) as caught:
        services.message_set(campaign=campaign, acting_user=world.author, **args)
    assert field in caught.value.errors


def test_submit_says_every_reason_it_is_not_ready(world):
    campaign = services.campaign_create(name="x", acting_user=world.author)
    with pytest.raises(CampaignNotReady) as caught:
        services.campaign_submit(campaign=campaign, acting_user=world.author)
    assert len(caught.value.problems) == 2  # no message, no audience
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_the_author_cannot_approve_their_own_campaign(world):
    campaign = write_campaign(world)
    services.campaign_submit(campaign=campaign, acting_user=world.author)
    with pytest.raises(CampaignError, match="author"):
        services.campaign_approve(campaign=campaign, acting_user=world.author)
    services.campaign_approve(campaign=campaign, acting_user=world.approver)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED and campaign.approved_by == world.approver


def test_the_database_refuses_an_approval_by_the_author_too(world):
    campaign = write_campaign(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(approved_by=world.author)


def test_editing_a_campaign_waiting_for_approval_sends_it_back_to_draft(world):
    campaign = write_campaign(world)
    services.campaign_submit(campaign=campaign, acting_user=world.author)
    services.message_set(campaign=campaign, channel="email", language="ja", acting_user=world.author,
                         subject="新しい件名", body="本文")
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DRAFT


def test_an_approved_campaign_cannot_be_edited(world):
    campaign = approved(world, write_campaign(world))
    with pytest.raises(CampaignError):
        services.campaign_update(campaign=campaign, acting_user=world.author, name="変更")


def test_copy_failing_the_brand_check_blocks_until_a_reason_is_recorded(world):
    campaign = write_campaign(world, body="{{ name_honorific }}\n最強の新作が入荷！！")
    ok, violations = services.message_lint(campaign.messages.get())
    assert not ok and violations
    with pytest.raises(CampaignNotReady, match="brand check"):
        services.campaign_submit(campaign=campaign, acting_user=world.author)
    services.campaign_lint_override(campaign=campaign, reason="店長確認済みのキャンペーン表現", acting_user=world.author)
    services.campaign_submit(campaign=campaign, acting_user=world.author)
    entry = AuditEntry.objects.get(action="campaign_lint_override")
    assert entry.changes == {"reason": "店長確認済みのキャンペーン表現"} and entry.actor == world.author


def test_an_email_names_its_sender_or_it_cannot_be_submitted(world, monkeypatch):
    campaign = write_campaign(world)
    monkeypatch.setattr(services, "sender_identity", lambda policy=None: services.Sender("", "", ""))
    with pytest.raises(CampaignNotReady) as caught:
        services.campaign_submit(campaign=campaign, acting_user=world.author)
    assert any("特定電子メール法" in p for p in caught.value.problems)


def test_the_sending_policy_can_name_the_sender_instead_of_the_brand_kit(world):
    assert services.sender_identity().name == "株式会社ミナト商店"
    services.sending_policy_update(acting_user=world.author, sender_name="ミナト商店 通販事業部",
                                   contact="support@minato.example")
    sender = services.sender_identity()
    assert sender.name == "ミナト商店 通販事業部" and "横浜市" in sender.address


def test_a_campaign_with_a_future_time_is_scheduled_not_sent(world):
    campaign = approved(world, write_campaign(world, send_at=timezone.now() + timedelta(days=1)))
    services.campaign_start(campaign=campaign, acting_user=world.approver)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert not campaign.recipients.exists()


def test_cancelling_before_it_is_sent_ends_it(world):
    campaign = approved(world, write_campaign(world, send_at=timezone.now() + timedelta(days=1)))
    services.campaign_start(campaign=campaign, acting_user=world.approver)
    services.campaign_cancel(campaign=campaign, acting_user=world.approver)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.CANCELLED and campaign.cancelled_by == world.approver
    with pytest.raises(CampaignError):
        services.campaign_cancel(campaign=campaign, acting_user=world.approver)


def test_an_audience_with_nobody_in_it_is_refused_with_the_reason(world):
    from customers import segments

    nobody = segments.segment_create(name="沖縄の顧客", rules=segments.rules_clean({"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["47"]}]}]}))
    campaign = services.campaign_create(name="x", acting_user=world.author, segments=[nobody])
    services.message_set(campaign=campaign, channel="email", language="ja", acting_user=world.author,
                         subject="件名", body="本文")
    with pytest.raises(CampaignNotReady, match="audience is empty"):
        services.campaign_submit(campaign=campaign, acting_user=world.author)
