"""The sales channels every installation has from the first migrate, and the POS channel of
each store. Channels are data (the Channel table); this module keeps the standard ones present."""

from .models import Channel, ChannelKind

# (code, name, kind): the non-store channels. Marketplaces and social shops can be added as
# further rows of the same kinds; each store's POS is created by ``pos_channel``.
STANDARD_CHANNELS: list[tuple[str, str, str]] = [
    ("web", "オンラインストア", ChannelKind.WEB),
    ("app", "公式アプリ", ChannelKind.APP),
    ("phone", "電話注文", ChannelKind.PHONE),
    ("marketplace", "マーケットプレイス", ChannelKind.MARKETPLACE),
    ("social", "ソーシャルショップ", ChannelKind.SOCIAL),
]


def channels_ensure_standard() -> None:
    """Create the standard channels that are missing; never renames or re-activates existing ones."""
    existing = set(Channel.objects.filter(code__in=[code for code, *_ in STANDARD_CHANNELS])
                   .values_list("code", flat=True))
    Channel.objects.bulk_create([Channel(code=code, name=name, kind=kind)
                                 for code, name, kind in STANDARD_CHANNELS if code not in existing])


def channels_ensure_after_migrate(sender, **kwargs) -> None:
    channels_ensure_standard()


def web_channel() -> Channel:
    """The storefront's channel (created on first use if an administrator removed it)."""
    channel, _created = Channel.objects.get_or_create(
        code="web", defaults={"name": STANDARD_CHANNELS[0][1], "kind": ChannelKind.WEB})
    return channel


def pos_channel(location) -> Channel:
    """The POS channel of a store or pop-up (made with the location by
    ``inventory.services.location_create``; get-or-create, so safe to call again)."""
    channel, _created = Channel.objects.get_or_create(
        code=f"pos-{location.code}", defaults={"name": f"{location.name} POS", "kind": ChannelKind.POS,
                                               "location": location})
    return channel
