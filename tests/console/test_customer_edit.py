"""Staff change a customer's profile and consent, and note store visits on the timeline."""

from django.urls import reverse

from customers.models import Customer, CustomerEvent


def _url(name, customer):
    return reverse(f"console:{name}", kwargs={"pk": customer.pk})


def _profile(**overrides):
    data = {"family_name": "佐藤", "given_name": "花子", "family_name_kana": "サトウ", "given_name_kana": "ハナコ",
            "phone": "090-1234-5678", "postal_code": "", "prefecture": "", "address": "", "favourite_location": "",
            "preferred_size": ""}
    data.update(overrides)
    return data


def test_hq_edits_the_profile_and_the_customer_page_shows_it(client, staff, shop, customer):
    client.force_login(staff["hq_marketer"])
    assert f'href="{_url("customer_edit", customer)}"' in client.get(_url("customer_detail", customer)).content.decode()
    response = client.post(_url("customer_edit", customer), _profile(
        given_name="華子", given_name_kana="はなこ", phone="03-9876-5432", postal_code="1500001", prefecture="13",
        address="渋谷区神宮前1-1", favourite_location=shop.store_b.pk, preferred_size="M"), follow=True)
    customer.refresh_from_db()
    assert (customer.given_name, customer.given_name_kana, customer.postal_code) == ("華子", "ハナコ", "150-0001")
    assert customer.favourite_location == shop.store_b
    html = response.content.decode()
    assert "03-9876-5432" in html and "梅田店" in html


def test_a_bad_phone_or_kana_is_a_field_error_and_nothing_changes(client, staff, customer):
    client.force_login(staff["hq_marketer"])
    response = client.post(_url("customer_edit", customer), _profile(phone="12", family_name_kana="sato"))
    assert response.status_code == 400
    assert {"phone", "family_name_kana"} <= set(response.context["form"].errors)
    assert Customer.objects.get(pk=customer.pk).phone == "090-1234-5678"


def test_consent_change_goes_into_the_ledger_with_who_made_it(client, staff, customer):
    client.force_login(staff["hq_marketer"])
    response = client.post(_url("customer_consent", customer), {"channel": "sms", "purpose": "marketing",
                                                                "granted": "1", "source": "staff",
                                                                "source_detail": "電話で"},
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="consent">')
    record = customer.consent_records.get(channel="sms")
    assert (record.granted, record.source, record.source_detail, record.acting_user) == (
        True, "staff", "電話で", staff["hq_marketer"])
    assert '<span class="consent-by">hq_marketer</span>' in html  # the staff user's display name
    client.post(_url("customer_consent", customer), {"channel": "email", "purpose": "marketing", "granted": "0",
                                                     "source": "pos"})
    assert customer.consent_records.filter(channel="email").latest("id").granted is False


def test_store_staff_see_consent_but_cannot_change_it(client, staff, customer):
    client.force_login(staff["store_staff"])
    html = client.get(_url("customer_detail", customer)).content.decode()
    assert _url("customer_consent", customer) not in html
    assert _url("customer_edit", customer) not in html
    assert client.post(_url("customer_consent", customer), {"channel": "sms", "granted": "1"}).status_code == 403
    assert not customer.consent_records.filter(channel="sms").exists()


def test_store_staff_record_a_store_visit_at_their_store(client, staff, shop, customer):
    client.force_login(staff["store_staff"])
    response = client.post(_url("customer_event_add", customer),
                           {"kind": "store_visit", "interaction": "store", "note": "Lサイズを試着、来週また来店予定"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    event = CustomerEvent.objects.get(customer=customer, kind="store_visit")
    assert event.location == shop.store_a
    assert event.data["note"] == "Lサイズを試着、来週また来店予定"
    assert event.data["staff_id"] == staff["store_staff"].pk
    assert 'id="event-form"' in html
    assert 'id="timeline" hx-swap-oob="true"' in html and "Lサイズを試着、来週また来店予定" in html
    page = client.get(_url("customer_detail", customer)).content.decode()
    assert "Lサイズを試着、来週また来店予定" in page and "渋谷店" in page


def test_a_staff_note_needs_text(client, staff, customer):
    client.force_login(staff["store_staff"])
    response = client.post(_url("customer_event_add", customer), {"kind": "staff_note", "interaction": "phone", "note": ""})
    assert response.status_code == 400
    assert not customer.events.filter(kind="staff_note").exists()


def test_staff_without_a_store_cannot_record_a_store_visit(client, staff, customer):
    client.force_login(staff["hq_marketer"])
    response = client.post(_url("customer_event_add", customer), {"kind": "store_visit", "interaction": "store", "note": ""},
                           HTTP_HX_REQUEST="true")
    assert "field-invalid" in response.content.decode()
    assert not customer.events.filter(kind="store_visit").exists()
    client.post(_url("customer_event_add", customer), {"kind": "staff_note", "interaction": "phone", "note": "電話でサイズの相談"})
    assert customer.events.get(kind="staff_note").location is None


def test_a_timeline_note_goes_through_the_same_service_as_the_api(client, staff, customer, monkeypatch):
    """One rule for staff touchpoints: the console calls ``staff_event_record`` (the API's service)
    and shows that service's field errors, instead of keeping its own copy of the rule."""
    from customers import services

    calls = []
    real = services.staff_event_record

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "staff_event_record", spy)
    client.force_login(staff["store_staff"])
    client.post(_url("customer_event_add", customer), {"kind": "staff_note", "interaction": "phone", "note": "  電話でサイズの相談 "})
    assert [(c["kind"], c["note"], c["acting_user"]) for c in calls] == [
        ("staff_note", "電話でサイズの相談", staff["store_staff"])]
    assert customer.events.get(kind="staff_note").data["note"] == "電話でサイズの相談"

    def stricter(**kwargs):
        from django.core.exceptions import ValidationError

        raise ValidationError({"note": ["A rule only the service knows."]})

    monkeypatch.setattr(services, "staff_event_record", stricter)
    response = client.post(_url("customer_event_add", customer), {"kind": "staff_note", "interaction": "phone", "note": "もう一件"})
    assert response.status_code == 400
    assert "A rule only the service knows." in response.content.decode()
