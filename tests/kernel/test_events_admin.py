"""The Django admin shows the domain event outbox and the consumers' cursors, read-only."""

import pytest

from kernel.models import ConsumerCursor, DomainEvent

pytestmark = pytest.mark.django_db


def _events(count):
    return [DomainEvent.objects.create(type="test.happened", subject=f"test:{n}") for n in range(count)]


def test_the_event_list_answers_read_only(admin_client):
    _events(3)
    page = admin_client.get("/admin/omnishop/domainevent/?type=test.happened")
    assert page.status_code == 200
    assert b"test:2" in page.content
    assert admin_client.get("/admin/omnishop/domainevent/add/").status_code == 403
    event = DomainEvent.objects.first()
    assert admin_client.post(f"/admin/omnishop/domainevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert DomainEvent.objects.count() == 3


def test_the_cursor_list_shows_the_lag_read_only(admin_client):
    events = _events(4)
    ConsumerCursor.objects.create(consumer="test.behind", last_event_id=events[0].pk)
    page = admin_client.get("/admin/omnishop/consumercursor/")
    assert page.status_code == 200
    assert page.context["cl"].result_list[0].lag == 3
    assert admin_client.get("/admin/omnishop/consumercursor/add/").status_code == 403
    cursor = ConsumerCursor.objects.get()
    assert admin_client.post(f"/admin/omnishop/consumercursor/{cursor.pk}/delete/", {"post": "yes"}).status_code == 403


@pytest.mark.parametrize("consumers", [1, 5])
def test_the_cursor_list_queries_do_not_grow_with_the_consumers(admin_client, django_assert_max_num_queries,
                                                                  consumers):
    _events(3)
    for n in range(consumers):
        ConsumerCursor.objects.create(consumer=f"test.c{n}", last_event_id=n)
    admin_client.get("/admin/omnishop/consumercursor/")  # warm the session and the caches
    with django_assert_max_num_queries(5):
        assert admin_client.get("/admin/omnishop/consumercursor/").status_code == 200
