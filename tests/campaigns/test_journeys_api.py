"""Journeys through the API (issue 11): define whole, bad definitions refused at save with the step
named and nothing saved, activation refused with each problem, enrol, stats, enrolments, custom
events, and who may do what."""

import pytest
from django.core import mail
from rest_framework.test import APIClient

from campaigns.journey_engine import journeys_run
from campaigns.models import Campaign
from campaigns.models_journeys import Enrolment, Journey
from kernel.events import events_consume_pending
from tests.campaigns.world import build_world

pytestmark = pytest.mark.django_db

EMAIL = {"channel": "email", "language": "ja", "subject": "ようこそ", "body": "{{ name_honorific }}\nようこそ。"}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def world(db):
    return build_world()


def definition(**changes):
    body = {"name": "ようこそ", "trigger": "signed_up", "steps": [
        {"key": "hello", "kind": "send", "name": "ご挨拶", "config": {"channel": "email"}, "messages": [EMAIL],
         "next": "pause"},
        {"key": "pause", "kind": "wait", "config": {"minutes": 60}, "next": None}]}
    body.update(changes)
    return body


def test_a_journey_is_defined_whole_and_read_back_with_its_steps(world):
    answer = api(world.author).post("/api/v1/journeys/", definition(), format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert [s["kind"] for s in body["steps"]] == ["send", "wait"]
    assert body["steps"][0]["next"] == body["steps"][1]["key"]
    assert body["steps"][0]["messages"][0]["subject"] == "ようこそ"
    assert body["problems"] == []
    read = api(world.author).get(f"/api/v1/journeys/{body['id']}/").json()
    assert read["first"] == body["steps"][0]["key"]


@pytest.mark.parametrize(("steps", "field"), [
    ([{"key": "a", "kind": "wait", "config": {"minutes": 60}, "next": "b"},
      {"key": "b", "kind": "wait", "config": {"minutes": 60}, "next": "a"}], "steps.0.next"),
    ([{"key": "a", "kind": "wait", "config": {"minutes": 0}}], "steps.0.minutes"),
    ([{"key": "a", "kind": "wait", "config": {"minutes": -5}}], "steps.0.minutes"),
    ([{"key": "a", "kind": "branch", "config": {"condition": "shoe_size"}, "next": None}], "steps.0.condition"),
    ([{"key": "a", "kind": "wait", "config": {"minutes": 5}, "next": "nowhere"}], "steps.0.next"),
    ([{"key": "a", "kind": "send", "name": "告知", "config": {"channel": "email"},
       "messages": [{**EMAIL, "body": "最強の一枚が入荷しました。"}]}], "steps.0.messages.0.body"),
])
def test_a_bad_definition_is_refused_at_save_with_the_step_named_and_nothing_is_saved(world, steps, field):
    answer = api(world.author).post("/api/v1/journeys/", definition(steps=steps), format="json")
    assert answer.status_code == 400, answer.json()
    body = answer.json()
    assert field in body["errors"], body
    assert not Journey.objects.exists() and not Campaign.objects.exists()


def test_activation_is_refused_with_each_problem_and_its_step(world):
    created = api(world.author).post("/api/v1/journeys/", definition(steps=[
        {"key": "hello", "kind": "send", "name": "ご挨拶", "config": {"channel": "email"}}]), format="json").json()
    answer = api(world.author).post(f"/api/v1/journeys/{created['id']}/activate/")
    assert answer.status_code == 409
    problem = answer.json()["problems"][0]
    assert problem["step"] == created["steps"][0]["id"] and problem["field"] == "content"


def test_activate_enrol_stats_and_enrolments(world):
    client = api(world.author)
    created = client.post("/api/v1/journeys/", definition(), format="json").json()
    Campaign.objects.filter(journey_step__journey_id=created["id"]).update(quiet_start=None, quiet_end=None)
    assert client.post(f"/api/v1/journeys/{created['id']}/activate/").json()["status"] == "active"
    hanako = world.people["hanako"]
    answer = client.post(f"/api/v1/journeys/{created['id']}/enrol/", {"customer": hanako.pk}, format="json")
    assert answer.status_code == 201
    again = client.post(f"/api/v1/journeys/{created['id']}/enrol/", {"customer": hanako.pk}, format="json")
    assert again.status_code == 409, "already in it"
    assert client.post(f"/api/v1/journeys/{created['id']}/enrol/", {"customer": "x"},
                       format="json").json()["errors"] == {"customer": ["A customer id."]}
    journeys_run()
    assert len(mail.outbox) == 1
    stats = client.get(f"/api/v1/journeys/{created['id']}/stats/").json()
    assert stats["sent"] == 1 and stats["enrolments"]["active"] == 1
    assert stats["steps"][str(created["steps"][1]["id"])]["at"] == 1
    rows = client.get(f"/api/v1/journeys/{created['id']}/enrolments/?status=active").json()["results"]
    assert [r["customer"] for r in rows] == [hanako.pk]
    assert client.get(f"/api/v1/journeys/{created['id']}/enrolments/?status=lost").status_code == 400


def test_a_custom_event_starts_the_journeys_waiting_for_it(world):
    client = api(world.author)
    created = client.post("/api/v1/journeys/", definition(trigger="custom", trigger_config={"event": "app_installed"}),
                          format="json").json()
    client.post(f"/api/v1/journeys/{created['id']}/activate/")
    hanako = world.people["hanako"]
    assert client.post("/api/v1/journey-events/", {"customer": hanako.pk, "name": "app_installed"},
                       format="json").status_code == 202
    assert client.post("/api/v1/journey-events/", {"customer": hanako.pk, "name": "something_else"},
                       format="json").status_code == 202
    assert client.post("/api/v1/journey-events/", {"customer": 0, "name": ""}, format="json").json()["errors"].keys() \
        == {"customer", "name"}
    events_consume_pending(consumer="campaigns.journeys")
    assert list(Enrolment.objects.values_list("customer_id", flat=True)) == [hanako.pk]


def test_store_staff_cannot_touch_journeys(world, staff):
    for role in ("store_staff", "warehouse_operator"):
        client = api(staff[role])
        assert client.get("/api/v1/journeys/").status_code == 403
        assert client.post("/api/v1/journeys/", definition(), format="json").status_code == 403


def test_the_schema_describes_the_journeys(world):
    schema = api(world.author).get("/api/schema/?format=json").json()
    assert {"/api/v1/journeys/", "/api/v1/journeys/{id}/activate/", "/api/v1/journeys/{id}/enrol/",
            "/api/v1/journeys/{id}/stats/", "/api/v1/journey-events/"} <= set(schema["paths"])
