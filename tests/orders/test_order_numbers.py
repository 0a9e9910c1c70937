"""Order numbers: a letter per channel kind and the zero-padded id."""

import re

import pytest

from kernel import channels
from kernel.models import Channel, ChannelKind
from orders import services
from orders.models import ORDER_NUMBER_PREFIXES
from orders.services import FulfillmentIn, LineIn

pytestmark = pytest.mark.django_db


def test_every_channel_kind_has_its_own_letter():
    assert set(ORDER_NUMBER_PREFIXES) == set(ChannelKind.values)
    letters = list(ORDER_NUMBER_PREFIXES.values())
    assert len(set(letters)) == len(letters)
    assert all(re.fullmatch(r"[A-Z]", letter) for letter in letters)


def test_a_pos_sale_and_a_phone_order_are_told_apart_by_their_number(shop):
    numbers = {}
    for channel in (shop.pos_a, Channel.objects.get(code="phone"), channels.web_channel()):
        order = services.order_place(channel=channel, lines=[LineIn("LS-S", 1)],
                                     fulfillment=FulfillmentIn("pickup", "shibuya"))
        numbers[channel.kind] = order.number

    assert numbers[ChannelKind.POS][0] != numbers[ChannelKind.PHONE][0]
    assert all(re.fullmatch(r"[A-Z]\d{8}", number) for number in numbers.values())
    assert numbers[ChannelKind.WEB][0] == "W"
