"""Duplicate detection: each rule finds the pair, different people are not paired, and the
review queue keeps what staff decided."""

import pytest

from customers import merge
from customers.models import Customer, DuplicateCandidate, DuplicateReason, DuplicateStatus, Identity
from customers.services import customer_create

pytestmark = pytest.mark.django_db


def make(email=None, **fields) -> Customer:
    fields.setdefault("family_name", "山田")
    return customer_create(email=email, **fields)


def pairs():
    return {(c.low_pk, c.high_pk): sorted(c.reasons) for c in DuplicateCandidate.objects.all()}


@pytest.mark.parametrize(("email_a", "email_b"), [
    ("hanako@example.jp", "HANAKO@Example.JP"),
    ("hana.ko+shop@gmail.com", "hanako@googlemail.com"),
    ("h.a.n.a.k.o@gmail.com", "hanako@gmail.com"),
])
def test_same_mailbox_is_a_pair(email_a, email_b):
    a = make(given_name="花子")
    b = make(family_name="別姓", given_name="はな")
    # the stored email is unique; a differently written one arrives as a record's email or an identity
    Customer.objects.filter(pk=a.pk).update(email=email_a)
    Identity.objects.create(customer=b, kind="email", value=email_b)
    merge.duplicates_scan()
    assert pairs() == {(a.pk, b.pk): [DuplicateReason.EMAIL]}


@pytest.mark.parametrize(("email_a", "email_b"), [
    ("hana.ko@example.jp", "hanako@example.jp"),  # dots only fold at Gmail
    ("hanako+shop@example.jp", "hanako@example.jp"),  # so do +tags
    ("hanako@gmail.com", "hanako@gmail.co.jp"),
])
def test_different_mailboxes_are_not_a_pair(email_a, email_b):
    make(email_a, given_name="花子")
    make(email_b, family_name="別姓", given_name="一郎")
    merge.duplicates_scan()
    assert pairs() == {}


def test_email_key_folds_only_gmail():
    assert merge.email_key(" Ha.Na+x@GoogleMail.com ") == "hana@gmail.com"
    assert merge.email_key("ha.na+x@example.jp") == "ha.na+x@example.jp"
    assert merge.email_key("not-an-email") == ""


def test_same_phone_written_differently_is_a_pair():
    a = make(given_name="花子", phone="090-1234-5678")
    b = make(family_name="佐藤", given_name="一郎", phone="０９０（１２３４）５６７８")
    c = make(family_name="鈴木", given_name="次郎", phone="03-1234-5678")
    Identity.objects.create(customer=c, kind="phone", value="09099998888")
    d = make(family_name="高橋", given_name="三郎", phone="+81 90 9999 8888")
    merge.duplicates_scan()
    assert pairs() == {(a.pk, b.pk): [DuplicateReason.PHONE], (c.pk, d.pk): [DuplicateReason.PHONE]}


def test_same_name_in_kanji_or_kana_and_postal_code_is_a_pair():
    a = make(given_name="花子", postal_code="150-0001")
    b = make(family_name="山田", given_name="花子", postal_code="１５００００１")
    c = make(family_name="ﾔﾏﾀﾞ", given_name="ﾀﾛｳ", postal_code="530-0001")
    d = make(family_name="東", given_name="太郎", family_name_kana="やまだ", given_name_kana="たろう",
             postal_code="5300001")
    merge.duplicates_scan()
    assert pairs() == {(a.pk, b.pk): [DuplicateReason.NAME_POSTAL], (c.pk, d.pk): [DuplicateReason.NAME_POSTAL]}


def test_household_and_namesakes_are_not_pairs():
    make(given_name="花子", postal_code="150-0001")
    make(given_name="太郎", postal_code="150-0001")  # same family, same address: another person
    make(given_name="花子", postal_code="530-0001")  # a namesake elsewhere
    make(postal_code="150-0001")  # no given name: a household, not a person
    make(family_name="山田", postal_code="150-0001")
    merge.duplicates_scan()
    assert pairs() == {}


def test_reasons_add_up_in_one_pair_and_score():
    a = make("hana.ko@gmail.com", given_name="花子", phone="090-1234-5678", postal_code="150-0001")
    b = make(family_name="山田", given_name="花子", phone="09012345678", postal_code="150-0001")
    Identity.objects.create(customer=b, kind="email", value="hanako+shop@gmail.com")  # the same mailbox
    merge.duplicates_scan()
    candidate = DuplicateCandidate.objects.get()
    assert (candidate.low_pk, candidate.high_pk) == (a.pk, b.pk)
    assert sorted(candidate.reasons) == sorted(["email", "phone", "name_postal"])
    assert candidate.score == 100


def test_a_key_shared_by_many_records_says_nothing(settings):
    for n in range(merge.DUPLICATE_GROUP_LIMIT + 1):
        make(family_name=f"客{n}", given_name="様", phone="03-0000-0000")  # the shop's own number
    merge.duplicates_scan()
    assert pairs() == {}


def test_dismissed_pair_never_comes_back_and_open_pairs_follow_the_data(django_user_model):
    staff = django_user_model.objects.create_user("hq@example.jp", "pass-Word-123")
    a = make(given_name="花子", phone="090-1234-5678")
    make(family_name="佐藤", given_name="花子", phone="090-1234-5678")
    c = make(family_name="鈴木", given_name="一郎", phone="080-1111-2222")
    d = make(family_name="鈴木", given_name="二郎", phone="080-1111-2222")
    merge.duplicates_scan()
    first = DuplicateCandidate.objects.get(low_pk=a.pk)
    merge.duplicate_dismiss(candidate=first, acting_user=staff)
    scan = merge.duplicates_scan()
    assert scan.pairs_found == 2 and scan.pairs_new == 0 and scan.finished_at and scan.percent == 100
    first.refresh_from_db()
    assert first.status == DuplicateStatus.DISMISSED and first.reviewed_by == staff
    assert list(merge.duplicates_open().values_list("low_pk", flat=True)) == [c.pk]
    # d's phone is corrected: the open pair no longer matches and leaves the queue
    Customer.objects.filter(pk=d.pk).update(phone="080-3333-4444", phone_digits="08033334444")
    merge.duplicates_scan()
    assert not DuplicateCandidate.objects.filter(low_pk=c.pk).exists()
    assert DuplicateCandidate.objects.filter(pk=first.pk, status=DuplicateStatus.DISMISSED).exists()


def test_the_scan_task_runs_a_requested_scan_once(django_user_model, django_capture_on_commit_callbacks,
                                                  monkeypatch):
    queued = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda *args, **kwargs: queued.append(args))
    staff = django_user_model.objects.create_user("hq@example.jp", "pass-Word-123")
    make(given_name="花子", phone="090-1234-5678")
    make(family_name="佐藤", given_name="花子", phone="090-1234-5678")
    with django_capture_on_commit_callbacks(execute=True):
        scan = merge.duplicates_scan_request(acting_user=staff)
    assert queued == [("customers.merge.duplicates_scan_task", scan.pk)]
    assert merge.duplicates_scan_request(acting_user=staff) == scan  # one running scan at a time
    assert merge.duplicates_scan_task(scan.pk) == 1
    assert merge.duplicates_scan_task(scan.pk) == 1  # a repeat changes nothing
    assert DuplicateCandidate.objects.count() == 1
