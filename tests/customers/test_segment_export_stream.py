"""Segment exports stream their rows to the file chunk by chunk (never the whole list in memory),
with the progress saved after each chunk, and the finished file is complete."""

import csv
import io
from pathlib import Path

import pytest
from django.db import connection

from customers import customer_list, segments
from customers.models import Customer, JobStatus, SegmentExport
from tests.customers.segments_world import private_exports  # noqa: F401

pytestmark = pytest.mark.django_db

BATCH = 4


@pytest.fixture
def many(db):
    made = [Customer.objects.create(email=f"m{i}@example.jp", family_name="山田", given_name=f"{i}",
                                    prefecture="13" if i % 3 else "27") for i in range(25)]
    made.append(Customer.objects.create(email="x@example.jp", family_name="=HYPERLINK(\"http://x\")",
                                        given_name="𠮷", prefecture="13"))
    return made


def start(segment, encoding="utf-8-sig", **kwargs) -> SegmentExport:
    export = SegmentExport.objects.create(segment=segment, encoding=encoding, **kwargs)
    return segments.segment_export_run(export.pk)


def read(export: SegmentExport) -> list[list[str]]:
    data = segments.export_storage().open(export.file, "rb").read()
    return list(csv.reader(io.StringIO(data.decode(export.encoding), newline="")))


def test_a_multi_chunk_export_is_complete_and_streamed(many, monkeypatch, private_exports):  # noqa: F811
    monkeypatch.setattr(segments, "EXPORT_BATCH", BATCH)
    segment = segments.segment_create(name="東京", rules={"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
    expected = list(segments.segment_customers(segment).order_by("pk").values_list("pk", flat=True))
    assert len(expected) > 3 * BATCH and len(expected) % BATCH  # several chunks and a short last one

    seen = []  # at each progress write: what the file on disk already holds

    def watch(execute, sql, params, many_, context):
        if sql.startswith('UPDATE "customers_segmentexport"') and "done" in sql and "status" not in sql:
            files = list(Path(private_exports).glob("segment-*.csv"))
            written = files[0].read_bytes().decode("utf-8-sig").count("\r\n") - 1 if files else 0
            seen.append((params[0], written))
        return execute(sql, params, many_, context)

    with connection.execute_wrapper(watch):
        export = start(segment)
    # one progress write per full chunk, each after that chunk reached the file
    assert [done for done, _written in seen] == list(range(BATCH, len(expected) + 1, BATCH))
    assert all(written == done for done, written in seen)

    assert (export.status, export.done, export.total, export.percent) == (JobStatus.DONE, len(expected),
                                                                          len(expected), 100)
    rows = read(export)
    assert rows[0][0] in ("Customer ID", "顧客ID") and len(rows) == 1 + len(expected)
    assert [int(row[0]) for row in rows[1:]] == expected  # every member once, in id order
    assert all(row[8] == "東京都" for row in rows[1:])


def test_cells_like_formulas_are_defused_and_shift_jis_gets_substitutes(many, monkeypatch):
    monkeypatch.setattr(segments, "EXPORT_BATCH", BATCH)
    segment = segments.segment_create(name="東京", rules={"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
    export = start(segment, encoding="cp932")
    odd = next(row for row in read(export) if row[5] == "x@example.jp")
    assert odd[1] == "'=HYPERLINK(\"http://x\")" and odd[2] == "吉"


def test_a_rerun_after_a_crash_starts_over_and_removes_the_partial_file(many, monkeypatch, private_exports):  # noqa: F811
    monkeypatch.setattr(segments, "EXPORT_BATCH", BATCH)
    segment = segments.segment_create(name="全員", kind="static")
    Path(private_exports).mkdir(parents=True, exist_ok=True)
    (Path(private_exports) / "segment-partial.csv").write_text("half")
    export = SegmentExport.objects.create(segment=segment, status=JobStatus.RUNNING, done=8, total=30,
                                          file="segment-partial.csv")
    export = segments.segment_export_run(export.pk)
    assert export.status == JobStatus.DONE and export.done == 0 and len(read(export)) == 1
    assert not (Path(private_exports) / "segment-partial.csv").exists()


def test_a_failing_export_leaves_no_file(many, monkeypatch, private_exports):  # noqa: F811
    monkeypatch.setattr(segments, "EXPORT_BATCH", BATCH)
    segment = segments.segment_create(name="東京", rules={"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
    calls = {"n": 0}
    original = customer_list.csv_cell

    def breaking(value):
        calls["n"] += 1
        if calls["n"] > 3 * len(segments.EXPORT_COLUMNS):  # a few rows in, the disk fills up
            raise OSError("No space left on device")
        return original(value)

    monkeypatch.setattr(customer_list, "csv_cell", breaking)
    export = SegmentExport.objects.create(segment=segment)
    with pytest.raises(OSError):
        segments.segment_export_run(export.pk)
    export.refresh_from_db()
    assert export.status == JobStatus.FAILED and "No space" in export.error and not export.file
    assert not list(Path(private_exports).glob("segment-*.csv"))


def test_segment_exports_expire_with_the_customer_list_s(many, private_exports, settings, tmp_path):  # noqa: F811
    """Member lists are personal data: the hourly job deletes them after the retention too."""
    from datetime import timedelta

    from django.utils import timezone

    settings.CUSTOMER_EXPORT_DIR = tmp_path
    segment = segments.segment_create(name="東京", rules={"groups": [{"conditions": [
        {"field": "prefecture", "operator": "in", "value": ["13"]}]}]})
    export = start(segment)
    assert segments.export_storage().exists(export.file)
    assert customer_list.customer_exports_expire(now=timezone.now() + timedelta(hours=1)) == 0
    assert customer_list.customer_exports_expire(now=timezone.now() + timedelta(hours=25)) == 1
    assert not SegmentExport.objects.exists() and not segments.export_storage().exists(export.file)
