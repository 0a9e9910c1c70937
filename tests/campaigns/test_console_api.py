"""The console pages and the API over the same services: roles checked, query counts fixed,
bad input answered with the field (and the template's line) named."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from campaigns.models import Campaign, CampaignStatus
from kernel import roles
from tests.campaigns.world import approved, build_world, write_campaign

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, settings):
    settings.LANGUAGE_CODE = "en"  # the messages asserted below are the English ones
    return build_world()


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_store_staff_and_warehouse_operators_cannot_open_campaigns(world, shop, staff, client):
    for role in (roles.STORE_STAFF, roles.WAREHOUSE_OPERATOR):
        client.force_login(staff[role])
        assert client.get(reverse("console:campaigns")).status_code == 403
        assert api(staff[role]).get("/api/v1/campaigns/").status_code == 403


def test_the_campaign_list_costs_the_same_queries_for_one_or_many(world, client, django_assert_max_num_queries):
    client.force_login(world.author)
    write_campaign(world)
    with django_assert_max_num_queries(30) as one:
        assert client.get(reverse("console:campaigns")).status_code == 200
    for n in range(5):
        write_campaign(world, name=f"キャンペーン{n}", channels=("email", "sms"))
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("console:campaigns"))
    assert "キャンペーン4" in response.content.decode()


def test_a_marketer_writes_submits_and_another_approves_in_the_console(world, client):
    client.force_login(world.author)
    response = client.post(reverse("console:campaign_create"), {
        "name": "冬のセール", "objective": "sales", "segments": [world.segment.pk], "quiet_start": "21:00",
        "quiet_end": "08:00"})
    campaign = Campaign.objects.get(name="冬のセール")
    assert response.status_code == 302
    url = reverse("console:campaign_message", args=[campaign.pk, "email", "ja"])
    response = client.post(url, {"subject": "冬のセール", "body": "{{ name_honorific }}\n{{ nickname }}"})
    assert response.status_code == 200 and "nickname" in response.content.decode()  # the line is named
    client.post(url, {"subject": "冬のセール", "body": "{{ name_honorific }}\nセールのご案内です。"})
    client.post(reverse("console:campaign_action", args=[campaign.pk, "submit"]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PENDING_APPROVAL
    approve_url = reverse("console:campaign_action", args=[campaign.pk, "approve"])
    assert approve_url not in client.get(campaign.get_absolute_url()).content.decode()  # not for the author
    client.post(reverse("console:campaign_action", args=[campaign.pk, "approve"]))
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.PENDING_APPROVAL  # the author's approval is refused
    client.force_login(world.approver)
    assert approve_url in client.get(campaign.get_absolute_url()).content.decode()
    client.post(approve_url)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.APPROVED


def test_the_preview_renders_the_message_for_a_customer_of_the_audience(world, client):
    campaign = write_campaign(world)
    message = campaign.messages.get()
    client.force_login(world.author)
    hanako = world.people["hanako"]
    response = client.get(reverse("console:campaign_preview", args=[campaign.pk, message.pk]),
                          {"customer": hanako.pk})
    body = response.content.decode()
    assert response.status_code == 200 and "山田 花子 様" in body
    assert "frame-ancestors 'self'" in response.headers.get("Content-Security-Policy", "")
    assert "noto-sans-jp" in body  # the preview draws Japanese with the app's own font


def test_the_detail_page_shows_checks_audience_and_messages(world, client):
    campaign = write_campaign(world)
    client.force_login(world.author)
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "秋の新作" in page and campaign.code in page


def test_api_write_message_with_a_broken_template_answers_400_naming_the_line(world):
    client = api(world.author)
    client.credentials(HTTP_ACCEPT_LANGUAGE="en")
    created = client.post("/api/v1/campaigns/", {"name": "API キャンペーン", "segments": [world.segment.pk]},
                          format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    bad = client.post(f"/api/v1/campaigns/{pk}/messages/", {
        "channel": "email", "language": "ja", "subject": "件名", "body": "一行目\n{% if name %}"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "campaign_invalid" and bad.json()["errors"]["body"][0].startswith("Line 2")


def test_api_submit_lists_every_problem_and_approval_by_the_author_is_refused(world):
    client = api(world.author)
    pk = client.post("/api/v1/campaigns/", {"name": "x"}, format="json").json()["id"]
    refused = client.post(f"/api/v1/campaigns/{pk}/submit/")
    assert refused.status_code == 409 and len(refused.json()["problems"]) == 2
    campaign = write_campaign(world)
    assert client.post(f"/api/v1/campaigns/{campaign.pk}/submit/").status_code == 200
    assert client.post(f"/api/v1/campaigns/{campaign.pk}/approve/").status_code == 409
    assert api(world.approver).post(f"/api/v1/campaigns/{campaign.pk}/approve/").json()["status"] == "approved"


def test_api_progress_accounts_for_every_recipient(world):
    campaign = approved(world, write_campaign(world))
    body = api(world.author).get(f"/api/v1/campaigns/{campaign.pk}/progress/").json()
    assert body["total"] == 0 and body["percent"] == 0


def test_api_results_and_the_detail_page_show_the_figures_of_a_sent_campaign(world, client, mailoutbox, monkeypatch):
    from campaigns import sending, services
    from campaigns.models import CampaignRecipient
    from campaigns.tracking import recipient_open_record
    from tests.campaigns.test_sending import daytime

    daytime(monkeypatch)  # noon in Tokyo: not held by the quiet hours whatever the hour the suite runs
    campaign = approved(world, write_campaign(world))
    services.campaign_start(campaign=campaign, acting_user=world.approver)
    sending.campaign_fan_out(campaign.pk)  # the queue runs its batches inline in tests
    assert len(mailoutbox) == 2
    hanako = CampaignRecipient.objects.get(campaign=campaign, customer=world.people["hanako"])
    recipient_open_record(recipient_id=hanako.pk, user_agent="Mozilla/5.0 (Windows NT 10.0) Thunderbird/128.0")
    body = api(world.author).get(f"/api/v1/campaigns/{campaign.pk}/results/").json()
    assert (body["total"]["sent"], body["total"]["opened"], body["bucket"]) == (2, 1, "hour")
    assert sum(point["opened"] for point in body["timeline"]) == 1
    assert api(world.author).get(f"/api/v1/campaigns/{campaign.pk}/results/?bucket=week").status_code == 400
    client.force_login(world.author)
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert 'id="results"' in page and "<svg" in page and "50.0%" in page  # one of two opened


def test_a_segment_a_campaign_uses_cannot_be_deleted_and_the_marketer_is_told_why(world, client):
    from customers import segments
    from customers.errors import SegmentInUse
    from customers.models import Segment

    write_campaign(world)
    with pytest.raises(SegmentInUse) as caught:
        segments.segment_delete(segment=world.segment, acting_user=world.author)
    assert caught.value.used_by == {"campaigns.campaign": 1}

    client.force_login(world.author)
    page = client.post(reverse("console:segment_delete", args=[world.segment.pk]), follow=True)
    assert page.status_code == 200 and Segment.objects.filter(pk=world.segment.pk).exists()
    assert "cannot be deleted" in page.content.decode() or "削除できません" in page.content.decode()

    api = APIClient()
    api.force_authenticate(world.author)
    response = api.delete(f"/api/v1/segments/{world.segment.pk}/")
    assert response.status_code == 409 and response.json()["code"] == "segment_in_use"
    assert response.json()["used_by"] == {"campaigns.campaign": 1}

    unused = segments.segment_create(name="未使用", rules=world.segment.rules)
    segments.segment_delete(segment=unused, acting_user=world.author)
    assert not Segment.objects.filter(pk=unused.pk).exists()
