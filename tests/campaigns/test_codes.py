"""Codes: normalising what people type, generating hundreds of thousands of unguessable
single-use codes in a job that resumes without duplicates, exporting them for print, and the
last use of a code going to exactly one of racing tills (PostgreSQL)."""

import csv
import io
import threading

import pytest
from django.db import connection, transaction

from campaigns import offers
from campaigns.models import CodeBatch, OfferCode, Redemption
from campaigns.models_offers import BatchStatus
from orders.discounts import DiscountRefused
from tests.builders import build_shop, build_staff
from tests.campaigns.offers_world import context, line, make_offer, shared


@pytest.fixture
def marketer(staff):
    return staff["hq_marketer"]


@pytest.mark.parametrize(("typed", "stored"), [
    ("spring-10", "SPRING10"), ("ＳＰＲＩＮＧ１０", "SPRING10"), (" spr ing 10 ", "SPRING10"),
    ("ABCD‐EFGH－JKLM", "ABCDEFGHJKLM"), ("abcdーefgh", "ABCDEFGH"),
])
def test_code_normalise_reads_what_people_type(typed, stored):
    assert offers.code_normalise(typed) == stored


def test_a_code_typed_in_full_width_with_hyphens_finds_the_shared_code(shop, marketer):
    shared(make_offer(marketer), code="spring-10")
    assert OfferCode.objects.get().code == "SPRING10"
    ctx = context(lines=[line()], channel=shop.web)
    offer, refused = offers.code_check("ｓｐｒｉｎｇー１０", ctx)
    assert refused is None and offer is not None


def test_shared_code_must_be_new_and_well_formed(shop, marketer):
    offer = make_offer(marketer)
    shared(offer)
    with pytest.raises(Exception) as duplicate:
        shared(offer, code="spring10")
    assert "code" in duplicate.value.message_dict
    with pytest.raises(Exception) as short:
        shared(offer, code="AB")
    assert "code" in short.value.message_dict


def test_generated_codes_are_unguessable_and_carry_the_prefix(shop, marketer):
    batch = offers.codes_generate(offer=make_offer(marketer), count=300, prefix="dm-", acting_user=marketer)
    offers.code_batch_fill(batch.pk, chunk=128)
    codes = list(batch.codes.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 300
    assert all(code.startswith("DM") and len(code) == 2 + offers.CODE_RANDOM_LENGTH for code in codes)
    assert set("".join(code[2:] for code in codes)) <= set(offers.CODE_ALPHABET)
    assert not set(offers.CODE_ALPHABET) & set("0O1I2Z5S8B")
    batch.refresh_from_db()
    assert (batch.status, batch.generated, batch.percent) == (BatchStatus.DONE, 300, 100)
    assert set(OfferCode.objects.filter(batch=batch).values_list("kind", "max_uses").distinct()) == {
        ("single_use", 1)}


def test_generation_request_is_validated(shop, marketer):
    offer = make_offer(marketer)
    with pytest.raises(Exception) as caught:
        offers.codes_generate(offer=offer, count=0, prefix="TOO-LONG-PREFIX", acting_user=marketer)
    assert set(caught.value.message_dict) == {"count", "prefix"}


def test_generation_interrupted_then_run_again_reaches_exactly_the_count(shop, marketer, monkeypatch):
    batch = offers.codes_generate(offer=make_offer(marketer), count=1000, acting_user=marketer)
    real = OfferCode.objects.bulk_create
    calls = {"n": 0}

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(OfferCode.objects, "bulk_create", crash_on_third)
    with pytest.raises(RuntimeError):
        offers.code_batch_fill(batch.pk, chunk=150)
    batch.refresh_from_db()
    assert (batch.status, batch.generated, batch.codes.count()) == (BatchStatus.FAILED, 300, 300)
    monkeypatch.setattr(OfferCode.objects, "bulk_create", real)

    assert offers.code_batch_fill(batch.pk, chunk=150) == BatchStatus.DONE
    assert offers.code_batch_fill(batch.pk, chunk=150) == BatchStatus.DONE  # a third run adds nothing
    codes = list(batch.codes.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 1000


def test_colliding_codes_are_replaced_until_the_count_is_reached(shop, marketer, monkeypatch):
    offer = make_offer(marketer)
    shared(offer, code="DUPLICATE1")
    draws = iter(["DUPLICATE1", "DUPLICATE1", "FRESHAAAA1", "FRESHAAAA1", "FRESHAAAA2", "FRESHAAAA3"])
    monkeypatch.setattr(offers, "new_code", lambda prefix="": next(draws))
    batch = offers.codes_generate(offer=offer, count=3, acting_user=marketer)
    offers.code_batch_fill(batch.pk, chunk=2)
    assert sorted(batch.codes.values_list("code", flat=True)) == ["FRESHAAAA1", "FRESHAAAA2", "FRESHAAAA3"]


def test_export_is_a_utf8_bom_csv_of_every_code_for_print(shop, marketer, settings):
    offer = make_offer(marketer, name="DMクーポン")
    batch = offers.codes_generate(offer=offer, count=12, acting_user=marketer)
    offers.code_batch_fill(batch.pk)
    monkey_chunk = offers.EXPORT_CHUNK
    offers.EXPORT_CHUNK = 5  # several keyset pages
    try:
        body = "".join(offers.codes_export(offer=offer, batch=batch, acting_user=marketer))
    finally:
        offers.EXPORT_CHUNK = monkey_chunk
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 13
    stored = {row[1] for row in rows[1:]}
    assert stored == set(batch.codes.values_list("code", flat=True))
    printed = rows[1][0]
    assert printed.count("-") == 2 and offers.code_normalise(printed) == rows[1][1]


# --- the last use, raced -----------------------------------------------------------------------

def race_for(code: str, channel_id: int, tills: int, customer=None) -> list[str]:
    barrier = threading.Barrier(tills)
    outcomes, lock = [], threading.Lock()
    provider = offers.OfferDiscounts()

    def till(index: int) -> None:
        from kernel.models import Channel

        try:
            channel = Channel.objects.get(pk=channel_id)
            lines = [line()]
            ctx = context(lines=lines, codes=[code], channel=channel, customer=customer)
            result = provider.evaluate(lines=lines, context=ctx)
            barrier.wait(timeout=10)
            try:
                with transaction.atomic():
                    provider.commit(order_id=index, order_number=f"P-{index:06d}", lines=lines, context=ctx,
                                    result=result)
                outcome = "redeemed" if result.applied else f"refused {result.refused[0].reason}"
            except DiscountRefused as exc:
                outcome = f"refused {exc.refused[0].reason}"
            except Exception as exc:  # a bug: the assertion shows it
                outcome = f"error {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=till, args=(i,)) for i in range(tills)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level races are proven on PostgreSQL")
@pytest.mark.parametrize("tills", [2, 6])
def test_last_use_of_a_code_goes_to_exactly_one_racing_till_on_postgresql(transactional_db, tills):
    shop = build_shop()
    marketer = build_staff(shop)["hq_marketer"]
    offer = make_offer(marketer)
    batch = offers.codes_generate(offer=offer, count=1, acting_user=marketer)
    offers.code_batch_fill(batch.pk)
    code = batch.codes.get().code

    outcomes = race_for(code, shop.pos_a.pk, tills)

    assert sorted(outcomes) == ["redeemed"] + ["refused already_used"] * (tills - 1), outcomes
    assert OfferCode.objects.get(code=code).uses == 1
    assert Redemption.objects.count() == 1
    assert CodeBatch.objects.get().generated == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row-level races are proven on PostgreSQL")
def test_one_customer_racing_two_tills_gets_the_once_per_customer_offer_once_on_postgresql(transactional_db):
    from customers.services import customer_create

    shop = build_shop()
    marketer = build_staff(shop)["hq_marketer"]
    hanako = customer_create(email="hanako@example.jp", family_name="山田", given_name="花子")
    shared(make_offer(marketer, per_customer_limit=1), code="ONCEEACH")

    outcomes = race_for("ONCEEACH", shop.pos_a.pk, 4, customer=hanako)

    assert sorted(outcomes) == ["redeemed"] + ["refused customer_limit"] * 3, outcomes
    assert Redemption.objects.filter(customer=hanako).count() == 1
