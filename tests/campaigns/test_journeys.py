"""Journeys (issue 11): definition checks, enrolment from the outbox, steps run once, fallback,
offers, goals, re-entry, the frequency cap, consent re-checked at send, time triggers."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from campaigns import journeys, services
from campaigns.errors import CampaignError, CampaignInvalid
from campaigns.journey_engine import journeys_handle, journeys_run, journeys_scan
from campaigns.journeys import JourneyNotReady
from campaigns.models import CampaignRecipient, RecipientStatus
from campaigns.models_journeys import Enrolment, EnrolmentStep, JourneyStatus, StepKind
from campaigns.offers import offer_create
from campaigns.providers import Provider
from customers.consent import consent_grant, consent_withdraw
from kernel.events import events_consume_pending
from kernel.models import DomainEvent
from tests.campaigns.world import build_world

pytestmark = pytest.mark.django_db

SENT_SMS: list = []


class RecordingSms(Provider):
    name = "sms-test"

    def send(self, message) -> str:
        SENT_SMS.append(message)
        return f"sms-{len(SENT_SMS)}"


@pytest.fixture
def world(settings):
    settings.CAMPAIGN_PROVIDERS = {"sms": "tests.campaigns.test_journeys.RecordingSms"}
    SENT_SMS.clear()
    return build_world()


def content(step, world, *channels):
    """Write the step's messages; quiet hours off (the sending engine's own tests cover them)."""
    from campaigns.models import Campaign

    Campaign.objects.filter(pk=step.campaign_id).update(quiet_start=None, quiet_end=None)
    for channel in channels:
        services.message_set(campaign=step.campaign, channel=channel, language="ja", acting_user=world.author,
                             subject="カートに商品が残っています" if channel == "email" else "",
                             body="{{ name_honorific }}\nカートの商品をお取り置きしています。" if channel == "email"
                             else "カートに商品が残っています。")


def signup_journey(world, *, reentry="after_exit", cap=None, goal=""):
    journey = journeys.journey_create(acting_user=world.author, name="ようこそ", trigger="signed_up",
                                      reentry=reentry, cap_messages=cap, goal=goal)
    send = journeys.step_add(journey=journey, acting_user=world.author, kind="send", name="ご挨拶",
                             config={"channel": "email"})
    content(send, world, "email")
    return journey, send


def fire(event_type, payload, subject=""):
    """Publish a domain event as a service would, then let the journeys consumer read it."""
    from kernel.events import event_types, publish

    kind = event_types()[event_type]
    with transaction.atomic():
        publish(kind, payload=kind.payload(**payload), subject=subject)
    return events_consume_pending(consumer="campaigns.journeys")


def signed_up(customer):
    return fire("customers.signed_up", {"customer_id": customer.pk, "user_id": 0, "channel": "", "source": "test"})


# --- definition checks -----------------------------------------------------------------------------

def test_a_journey_is_refused_at_activation_with_each_problem_naming_its_step(world):
    journey = journeys.journey_create(acting_user=world.author, name="壊れた旅", trigger="signed_up")
    send = journeys.step_add(journey=journey, acting_user=world.author, kind="send", name="メール",
                             config={"channel": "email"})
    branch = journeys.step_add(journey=journey, acting_user=world.author, kind="branch", name="開封した?",
                               config={"condition": "opened_last"}, after=send)
    with pytest.raises(JourneyNotReady) as refused:
        journeys.journey_activate(journey=journey, acting_user=world.author)
    problems = {(p.step, p.field) for p in refused.value.items}
    assert (send.pk, "content") in problems, "a send step without content"
    assert (branch.pk, "next_step") in problems, "a branch that leads nowhere"
    assert any("メール" in p.message for p in refused.value.items), "the step is named"
    assert refused.value.payload()["problems"][0].keys() == {"step", "field", "message"}


def test_a_loop_is_refused_at_save_with_the_step_named(world):
    journey = journeys.journey_create(acting_user=world.author, name="輪", trigger="signed_up")
    wait = journeys.step_add(journey=journey, acting_user=world.author, kind="wait", name="待つ",
                             config={"minutes": 60})
    branch = journeys.step_add(journey=journey, acting_user=world.author, kind="branch", name="開封した?",
                               config={"condition": "opened_last"}, after=wait)
    with pytest.raises(CampaignInvalid) as refused:
        journeys.step_link(step=branch, acting_user=world.author, next_step=wait)  # back to the start
    assert "開封した?" in refused.value.errors["next_step"][0]
    branch.refresh_from_db()
    assert branch.next_step_id is None, "nothing saved"


@pytest.mark.parametrize(("kind", "config", "field"), [
    ("wait", {"minutes": 0}, "minutes"),
    ("wait", {"minutes": -60}, "minutes"),
    ("wait", {"at": "25:99"}, "at"),
    ("branch", {"condition": "favourite_colour"}, "condition"),
    ("branch", {"condition": "in_segment", "segment": 999999}, "segment"),
    ("send", {"channel": "fax"}, "channel"),
    ("send", {"channel": "email", "fallback_channel": "email", "fallback_hours": 24}, "fallback_channel"),
])
def test_bad_steps_are_refused_at_save_with_the_field(world, kind, config, field):
    journey = journeys.journey_create(acting_user=world.author, name="確認", trigger="signed_up")
    with pytest.raises(CampaignInvalid) as refused:
        journeys.step_add(journey=journey, acting_user=world.author, kind=kind, config=config)
    assert field in refused.value.errors


def test_an_expired_offer_and_unlinted_copy_are_refused_at_activation(world):
    journey, send = signup_journey(world)
    offer = offer_create(acting_user=world.author, name="10%オフ", kind="percent", value=10)
    journeys.step_add(journey=journey, acting_user=world.author, kind="offer", offer=offer, after=send)
    offer.ends_at = timezone.now() - timedelta(days=1)
    offer.save()
    services.message_set(campaign=send.campaign, channel="email", language="en", acting_user=world.author,
                         subject="Hi", body="Buy now!!! Guaranteed 100% best price ever!!!")
    with pytest.raises(JourneyNotReady) as refused:
        journeys.journey_activate(journey=journey, acting_user=world.author)
    fields = {p.field for p in refused.value.items}
    assert "offer" in fields


@pytest.mark.parametrize(("trigger", "config", "field"), [
    ("cart_abandoned", {"hours": 0}, "trigger_config.hours"),
    ("inactive", {}, "trigger_config.days"),
    ("segment_entered", {"segment": 424242}, "trigger_config.segment"),
    ("custom", {"event": ""}, "trigger_config.event"),
    ("teleported", {}, "trigger"),
])
def test_trigger_settings_are_checked(world, trigger, config, field):
    with pytest.raises(CampaignInvalid) as refused:
        journeys.journey_create(acting_user=world.author, name="x", trigger=trigger, trigger_config=config)
    assert field in refused.value.errors


# --- the engine ---------------------------------------------------------------------------------------

def test_a_signup_enrols_sends_once_and_completes(world):
    journey, send = signup_journey(world)
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    assert Enrolment.objects.filter(journey=journey).count() == 1
    journeys_run()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["hanako@example.jp"]
    enrolment = Enrolment.objects.get(journey=journey)
    assert enrolment.status == "completed"
    # the same event read again (a cursor reset), the engine run again: nothing more
    journeys_handle(list(DomainEvent.objects.filter(type="customers.signed_up")))
    journeys_run()
    assert len(mail.outbox) == 1
    assert EnrolmentStep.objects.filter(enrolment=enrolment, step=send).count() == 1


def test_a_withdrawn_consent_stops_the_message_on_that_channel(world):
    journey, _send = signup_journey(world)
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    consent_withdraw(customer=world.people["hanako"], channel="email", source="unsubscribe")
    journeys_run()
    assert mail.outbox == []
    recipient = CampaignRecipient.objects.get()
    assert (recipient.status, recipient.reason) == (RecipientStatus.SKIPPED, "no_consent")


def test_waits_hold_the_customer_until_their_time(world):
    journey = journeys.journey_create(acting_user=world.author, name="待つ", trigger="signed_up")
    send = journeys.step_add(journey=journey, acting_user=world.author, kind="send", config={"channel": "email"})
    content(send, world, "email")
    journeys.step_add(journey=journey, acting_user=world.author, kind="wait", config={"minutes": 60 * 24})
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    journeys_run()
    enrolment = Enrolment.objects.get()
    assert enrolment.state == "waiting" and mail.outbox == []
    assert timedelta(hours=23) < enrolment.due_at - timezone.now() <= timedelta(hours=24)
    journeys_run(now=timezone.now() + timedelta(hours=25))
    assert len(mail.outbox) == 1


def test_a_wait_until_a_time_of_day_is_in_the_customers_zone(world):
    import zoneinfo

    from campaigns.journey_engine import wake_at
    from campaigns.models_journeys import JourneyStep

    step = JourneyStep(kind="wait", config={"minutes": 60, "at": "10:00"})
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    now = timezone.make_aware(timezone.datetime(2026, 12, 1, 9, 30), tokyo)
    assert timezone.localtime(wake_at(step, now, tokyo), tokyo).strftime("%d %H:%M") == "02 10:00"
    now = timezone.make_aware(timezone.datetime(2026, 12, 1, 7, 0), tokyo)
    assert timezone.localtime(wake_at(step, now, tokyo), tokyo).strftime("%d %H:%M") == "01 10:00"


def test_email_not_opened_falls_back_to_sms_and_an_opened_one_does_not(world):
    for name in ("hanako", "ken"):
        consent_grant(customer=world.people[name], channel="sms", source="storefront")
    world.people["ken"].phone = "090-2222-3333"
    world.people["ken"].save()
    journey = journeys.journey_create(acting_user=world.author, name="カート", trigger="signed_up")
    send = journeys.step_add(journey=journey, acting_user=world.author, kind="send",
                             config={"channel": "email", "fallback_channel": "sms", "fallback_hours": 24})
    content(send, world, "email", "sms")
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    signed_up(world.people["ken"])
    journeys_run()
    assert len(mail.outbox) == 2 and SENT_SMS == []
    CampaignRecipient.objects.filter(customer=world.people["ken"], channel="email").update(
        opened_at=timezone.now())
    journeys_run(now=timezone.now() + timedelta(hours=25))
    assert [m.to for m in SENT_SMS] == ["+819012345678"], "only the one who did not open gets the SMS"
    assert Enrolment.objects.filter(status="completed").count() == 2
    assert EnrolmentStep.objects.filter(step=send, outcome="fallback").count() == 1
    journeys_run(now=timezone.now() + timedelta(hours=50))
    assert len(SENT_SMS) == 1


def test_no_email_opt_in_falls_back_at_once(world):
    consent_grant(customer=world.people["silent"], channel="sms", source="storefront")
    world.people["silent"].phone = "090-4444-5555"
    world.people["silent"].save()
    journey = journeys.journey_create(acting_user=world.author, name="カート", trigger="signed_up")
    send = journeys.step_add(journey=journey, acting_user=world.author, kind="send",
                             config={"channel": "email", "fallback_channel": "sms", "fallback_hours": 24})
    content(send, world, "email", "sms")
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["silent"])
    journeys_run()  # the email is skipped (no opt-in) ...
    journeys_run()  # ... so the fallback is due now, not in 24 hours
    assert mail.outbox == [] and len(SENT_SMS) == 1


def test_a_branch_sends_each_customer_their_way(world):
    journey = journeys.journey_create(acting_user=world.author, name="分岐", trigger="signed_up")
    branch = journeys.step_add(journey=journey, acting_user=world.author, kind="branch",
                               config={"condition": "in_segment", "segment": world.segment.pk})
    yes = journeys.step_add(journey=journey, acting_user=world.author, kind="send", name="東京",
                            config={"channel": "email"}, after=branch, branch="yes")
    no = journeys.step_add(journey=journey, acting_user=world.author, kind="send", name="それ以外",
                           config={"channel": "email"}, after=branch, branch="no")
    content(yes, world, "email")
    content(no, world, "email")
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])  # Tokyo
    signed_up(world.people["osaka"])
    journeys_run()
    got = dict(CampaignRecipient.objects.values_list("customer__email", "campaign_id"))
    assert got == {"hanako@example.jp": yes.campaign_id, "osaka@example.jp": no.campaign_id}
    counts = journeys.step_counts(journey)
    assert (counts[branch.pk]["yes"], counts[branch.pk]["no"]) == (1, 1)


def test_an_offer_step_grants_a_personal_code_the_next_message_carries(world):
    journey, send = signup_journey(world)
    offer = offer_create(acting_user=world.author, name="ようこそ10%", kind="percent", value=10)
    journeys.step_add(journey=journey, acting_user=world.author, kind="offer", offer=offer, after=None)
    content(send, world)
    services.message_set(campaign=send.campaign, channel="email", language="ja", acting_user=world.author,
                         subject="ようこそ", body="{{ name_honorific }}\nコード {{ offer_code }} をお使いください。")
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    journeys_run()
    code = offer.codes.get()
    assert code.customer == world.people["hanako"] and code.max_uses == 1
    assert code.code[:4] in mail.outbox[0].body.replace("-", "")


def test_an_order_placed_takes_the_customer_out_when_that_is_the_goal(world):
    journey = journeys.journey_create(acting_user=world.author, name="目標", trigger="signed_up",
                                      goal="order_placed")
    journeys.step_add(journey=journey, acting_user=world.author, kind="wait", config={"minutes": 60})
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    journeys_run()
    fire("orders.order_placed", {"order_id": 1, "number": "W1", "channel": "web",
                                 "customer_id": world.people["hanako"].pk, "total": 5000, "currency": "JPY",
                                 "method": "ship", "location_id": None, "lines": 1})
    enrolment = Enrolment.objects.get()
    assert (enrolment.status, enrolment.exit_reason) == ("goal", "order_placed")


@pytest.mark.parametrize(("reentry", "expected"), [("once", 1), ("after_exit", 2)])
def test_reentry_rules(world, reentry, expected):
    journey, _send = signup_journey(world, reentry=reentry)
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    journeys_run()
    signed_up(world.people["hanako"])
    journeys_run()
    assert Enrolment.objects.filter(journey=journey).count() == expected
    assert len(mail.outbox) == expected


def test_one_enrolment_at_a_time(world):
    journey = journeys.journey_create(acting_user=world.author, name="一度に一つ", trigger="signed_up")
    journeys.step_add(journey=journey, acting_user=world.author, kind="wait", config={"minutes": 60})
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    signed_up(world.people["hanako"])
    assert Enrolment.objects.filter(journey=journey, status="active").count() == 1


def test_the_frequency_cap_counts_this_journeys_messages(world):
    journey = journeys.journey_create(acting_user=world.author, name="上限", trigger="signed_up", cap_messages=1,
                                      cap_days=7)
    first = journeys.step_add(journey=journey, acting_user=world.author, kind="send", name="一通目",
                              config={"channel": "email"})
    second = journeys.step_add(journey=journey, acting_user=world.author, kind="send", name="二通目",
                               config={"channel": "email"}, after=first)
    content(first, world, "email")
    content(second, world, "email")
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    journeys_run()
    assert len(mail.outbox) == 1
    assert EnrolmentStep.objects.get(step=second).outcome == "capped"


def test_a_paused_journey_moves_no_one_and_takes_no_one_in(world):
    journey, _send = signup_journey(world)
    journeys.journey_activate(journey=journey, acting_user=world.author)
    journeys.journey_pause(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    journeys_run()
    assert Enrolment.objects.count() == 0 and mail.outbox == []
    with pytest.raises(CampaignError):
        journeys.journey_pause(journey=journey, acting_user=world.author)


def test_an_active_journey_cannot_be_edited(world):
    journey, send = signup_journey(world)
    journeys.journey_activate(journey=journey, acting_user=world.author)
    with pytest.raises(CampaignError):
        journeys.step_add(journey=journey, acting_user=world.author, kind="wait", config={"minutes": 5})
    journey.refresh_from_db()
    assert journey.status == JourneyStatus.ACTIVE


def test_cart_abandonment_waits_and_restarts_its_timer_and_checkout_ends_it(world):
    journey = journeys.journey_create(acting_user=world.author, name="カート", trigger="cart_abandoned",
                                      trigger_config={"hours": 3})
    send = journeys.step_add(journey=journey, acting_user=world.author, kind="send", config={"channel": "email"})
    content(send, world, "email")
    journeys.journey_activate(journey=journey, acting_user=world.author)
    hanako = world.people["hanako"]
    line = {"cart_id": 7, "customer_id": hanako.pk, "sku": "LS-S", "quantity": 1, "delta": 1, "unit_price": 5500,
            "reason": "added", "tracking": True}
    fire("orders.cart_changed", line)
    enrolment = Enrolment.objects.get()
    assert timedelta(hours=2, minutes=59) < enrolment.due_at - timezone.now() <= timedelta(hours=3)
    journeys_run()
    assert mail.outbox == []
    fire("orders.cart_changed", {**line, "quantity": 2})
    fire("orders.cart_checked_out", {"cart_id": 7, "customer_id": hanako.pk, "order_id": 1, "number": "W1"})
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.exit_reason) == ("goal", "checked_out")


def test_a_birthday_scan_enrols_once_a_year(world):
    hanako = world.people["hanako"]
    today = timezone.localdate()
    hanako.birthday = date(1990, today.month, min(today.day, 28))
    hanako.save()
    journey = journeys.journey_create(acting_user=world.author, name="誕生日", trigger="birthday",
                                      trigger_config={"days_before": 0})
    journeys.step_add(journey=journey, acting_user=world.author, kind="wait", config={"minutes": 5})
    journeys.journey_activate(journey=journey, acting_user=world.author)
    if today.day <= 28:
        journeys_scan()
        journeys_scan()
        assert list(Enrolment.objects.values_list("customer_id", flat=True)) == [hanako.pk]


def test_step_counts_and_stats_take_constant_queries(world, django_assert_max_num_queries):
    journey, send = signup_journey(world)
    journeys.journey_activate(journey=journey, acting_user=world.author)
    for person in world.people.values():
        signed_up(person)
    journeys_run()
    with django_assert_max_num_queries(2):
        counts = journeys.step_counts(journey)
    assert counts[send.pk]["passed"] == 5
    with django_assert_max_num_queries(3):
        stats = journeys.journey_stats(journey)
    assert stats["sent"] == 3  # hanako, ken, osaka opted in; silent and left did not
    assert stats["enrolments"]["completed"] == 5


def test_running_a_chunk_takes_a_constant_number_of_queries(world, django_assert_max_num_queries):
    journey = journeys.journey_create(acting_user=world.author, name="一定", trigger="signed_up")
    branch = journeys.step_add(journey=journey, acting_user=world.author, kind="branch",
                               config={"condition": "has_consent", "channel": "email"})
    yes = journeys.step_add(journey=journey, acting_user=world.author, kind="wait", config={"minutes": 5},
                            after=branch, branch="yes")
    journeys.step_add(journey=journey, acting_user=world.author, kind="exit", after=branch, branch="no")
    assert yes
    journeys.journey_activate(journey=journey, acting_user=world.author)
    for person in world.people.values():
        signed_up(person)
    from campaigns.journey_engine import journeys_run_chunk

    with django_assert_max_num_queries(12):
        counts = journeys_run_chunk()
    assert counts["enrolments"] == 5
    assert StepKind.EXIT


# --- ready-made journeys -------------------------------------------------------------------------------

@pytest.mark.parametrize("key", [t.key for t in __import__("campaigns.journey_templates", fromlist=["x"]).TEMPLATES])
def test_every_ready_made_journey_activates_on_the_demo_brand(world, key):
    from campaigns.journey_templates import journey_from_template

    journey = journey_from_template(key=key, acting_user=world.author)
    assert journeys.journey_problems(journey) == []
    journeys.journey_activate(journey=journey, acting_user=world.author)


def test_the_ready_made_welcome_series_greets_and_then_gives_a_code_to_who_has_not_ordered(world):
    from campaigns.journey_templates import journey_from_template
    from campaigns.models import Campaign

    journey = journey_from_template(key="welcome", acting_user=world.author)
    Campaign.objects.filter(journey_step__journey=journey).update(quiet_start=None, quiet_end=None)
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    journeys_run()
    assert [m.subject for m in mail.outbox] == ["ミナト商店へようこそ"] or len(mail.outbox) == 1
    journeys_run(now=timezone.now() + timedelta(days=4))
    journeys_run(now=timezone.now() + timedelta(days=12))
    assert len(mail.outbox) == 3
    assert "コード" in mail.outbox[-1].body
    assert Enrolment.objects.get().status == "completed"


def test_a_journeys_messages_count_as_journey_engagement_on_the_customers_page(world):
    from campaigns import tracking
    from customers.engagement import customer_engagement

    journey, _send = signup_journey(world)
    journeys.journey_activate(journey=journey, acting_user=world.author)
    signed_up(world.people["hanako"])
    journeys_run()
    recipient = CampaignRecipient.objects.get()
    tracking.recipient_open_record(recipient_id=recipient.pk, user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148")
    engagement = customer_engagement(customer=world.people["hanako"])
    journey_row = next(row for row in engagement.types if row.key == "journey")
    assert (journey_row.figures.sent, journey_row.figures.opened) == (1, 1)


def test_the_customers_360_page_shows_their_journeys_to_hq_only(world, client, staff):
    journey = journeys.journey_create(acting_user=world.author, name="カゴ落ち", trigger="signed_up")
    journeys.step_add(journey=journey, acting_user=world.author, kind="wait", name="少し待つ",
                      config={"minutes": 60})
    journeys.journey_activate(journey=journey, acting_user=world.author)
    hanako = world.people["hanako"]
    signed_up(hanako)
    journeys_run()
    client.force_login(world.author)
    page = client.get(f"/console/customers/{hanako.pk}/").content.decode()
    assert 'id="journeys"' in page and "カゴ落ち" in page and "少し待つ" in page
    client.force_login(staff["store_staff"])
    answer = client.get(f"/console/customers/{hanako.pk}/")
    assert 'id="journeys"' not in answer.content.decode()


def test_the_performance_report_has_a_row_per_journey_with_its_messages_of_the_period(world):
    from campaigns.reports import Period, performance_report

    journey, _send = signup_journey(world)
    journeys.journey_activate(journey=journey, acting_user=world.author)
    for person in world.people.values():
        signed_up(person)
    journeys_run()
    today = timezone.localdate()
    report = performance_report(period=Period(start=today - timedelta(days=1), end=today))
    rows = [row for row in report.rows if row.kind == "journey"]
    assert [row.label for row in rows] == ["ようこそ"]
    assert (rows[0].figures.sent, rows[0].figures.recipients) == (3, 3)  # silent and left: no opt-in


def test_the_journey_page_is_constant_in_queries_and_its_flow_refreshes_alone(world, client,
                                                                            django_assert_max_num_queries):
    from campaigns.journey_templates import journey_from_template

    journey = journey_from_template(key="welcome", acting_user=world.author)
    journeys.journey_activate(journey=journey, acting_user=world.author)
    client.force_login(world.author)
    client.get(f"/console/journeys/{journey.pk}/")  # warm (the session's user, the brand)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/console/journeys/{journey.pk}/").status_code == 200
    for person in world.people.values():
        signed_up(person)
    journeys_run()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(f"/console/journeys/{journey.pk}/")
    assert page.status_code == 200
    flow = client.get(f"/console/journeys/{journey.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert flow.lstrip().startswith('<section class="card journey-flow" id="flow"') and "<html" not in flow


def test_entering_a_segment_enrols_once_and_again_after_leaving_and_coming_back(world):
    from customers import segments

    static = segments.segment_create(name="招待客", kind="static")
    hanako = world.people["hanako"]
    journey = journeys.journey_create(acting_user=world.author, name="招待", trigger="segment_entered",
                                      trigger_config={"segment": static.pk})
    journeys.step_add(journey=journey, acting_user=world.author, kind="exit")
    journeys.journey_activate(journey=journey, acting_user=world.author)
    from customers.models import SegmentMember

    SegmentMember.objects.create(segment=static, customer=hanako)
    journeys_scan()
    journeys_run()
    journeys_scan()  # still in it: not entered again
    journeys_run()
    assert Enrolment.objects.filter(journey=journey).count() == 1
    SegmentMember.objects.filter(segment=static, customer=hanako).delete()
    journeys_scan()  # left
    SegmentMember.objects.create(segment=static, customer=hanako)
    journeys_scan(now=timezone.now() + timedelta(minutes=5))  # came back: entered again
    assert Enrolment.objects.filter(journey=journey).count() == 2
