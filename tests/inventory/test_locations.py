"""Creating locations: stores and pop-ups get their POS channel from the start."""

import pytest
from django.core.exceptions import ValidationError

from inventory import services
from kernel.models import Channel, ChannelKind, Location, LocationKind

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", [LocationKind.STORE, LocationKind.POPUP])
def test_a_store_or_popup_is_created_with_its_pos_channel(kind):
    location = services.location_create(code="kobe", name="神戸店", kind=kind, prefecture="28", offers_pickup=True)
    channel = Channel.objects.get(location=location)
    assert (channel.code, channel.kind, channel.name) == ("pos-kobe", ChannelKind.POS, "神戸店 POS")


@pytest.mark.parametrize("kind", [LocationKind.WAREHOUSE, LocationKind.LOCKER])
def test_warehouses_and_lockers_get_no_pos_channel(kind):
    location = services.location_create(code="site", name="拠点", kind=kind)
    assert not Channel.objects.filter(location=location).exists()


def test_a_bad_location_names_the_fields_and_saves_nothing():
    with pytest.raises(ValidationError) as exc:
        services.location_create(code="not a slug", name="", kind="castle")
    assert {"code", "name", "kind"} <= set(exc.value.message_dict)
    assert not Location.objects.exists()
    assert not Channel.objects.filter(kind=ChannelKind.POS).exists()


def test_a_duplicate_code_is_refused_without_a_second_channel():
    services.location_create(code="kobe", name="神戸店", kind=LocationKind.STORE)
    with pytest.raises(ValidationError) as exc:
        services.location_create(code="kobe", name="神戸2号店", kind=LocationKind.STORE)
    assert "code" in exc.value.message_dict
    assert Channel.objects.filter(code="pos-kobe").count() == 1
