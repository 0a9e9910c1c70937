"""The history shows what changed inside tone attributes, example by example."""

import copy

import pytest
from django.urls import reverse

from brandkit import selectors, services


@pytest.fixture
def hq(client, staff, kit):
    client.force_login(staff["hq_marketer"])
    client.cookies["django_language"] = "en"
    return client


def publish_tone(kit, change) -> None:
    draft = services.draft_get_or_create(kit=kit)
    tone = copy.deepcopy(draft.tone)
    change(tone["attributes"])
    services.draft_update(version=draft, tone=tone)
    services.version_publish(version=draft)


def latest_changes(kit):
    return selectors.history_with_diffs(kit)[0][1]


def test_a_changed_do_example_shows_before_and_after(kit):
    def edit(attributes):
        attributes[1]["do"] = ["手洗いできます。"]

    publish_tone(kit, edit)
    [change] = latest_changes(kit)
    assert change.kind == "changed" and change.item == "誠実" and change.path == "tone.attributes.do"
    assert change.before_display == "洗濯機で洗えます（ネット使用）。" and change.after_display == "手洗いできます。"


def test_history_page_names_the_attribute_and_the_examples(hq, kit):
    def edit(attributes):
        attributes[0]["dont"].append("激ヤバ")
        attributes[2]["description"] = "一文は40字以内。"

    publish_tone(kit, edit)
    body = hq.get(reverse("console:brandkit:history")).content.decode()
    assert "Tone of voice › Tone attributes › 親しみやすい（でも軽すぎない） › Don&#x27;t examples" in body
    assert "<ins>マジ神アイテム入荷ｷﾀ━！！ / 激ヤバ</ins>" in body
    assert "Tone of voice › Tone attributes › 簡潔 › Description" in body
    assert "<del>一文は短く、要点から。</del>" in body and "<ins>一文は40字以内。</ins>" in body


def test_added_and_removed_attributes_show_their_content(hq, kit):
    def edit(attributes):
        del attributes[2]
        attributes.append({"name": "温かい", "description": "体温のある言葉で。", "do": ["またどうぞ"], "dont": ["来い"]})

    publish_tone(kit, edit)
    changes = {(c.kind, c.item): c for c in latest_changes(kit)}
    assert set(changes) == {("added", "温かい"), ("removed", "簡潔")}
    body = hq.get(reverse("console:brandkit:history")).content.decode()
    assert "<ins>体温のある言葉で。 · Do: またどうぞ · Don&#x27;t: 来い</ins>" in body
    assert "<del>一文は短く、要点から。 · Do: 本日20時まで送料無料。" in body


def test_the_first_version_lists_each_attribute_with_its_examples(kit):
    [(version, changes)] = selectors.history_with_diffs(kit)
    tone = [c for c in changes if c.path.startswith("tone.attributes")]
    assert [c.item for c in tone] == ["親しみやすい（でも軽すぎない）", "誠実", "簡潔"]
    assert "絶対に縮まない最強素材！" in tone[1].after_display


def test_an_unchanged_tone_shows_no_tone_change(kit):
    publish_tone(kit, lambda attributes: None)
    assert latest_changes(kit) == []
