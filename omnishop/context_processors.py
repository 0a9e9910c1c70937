from brandkit.theme import theme
from kernel import roles


def shell(request):
    """What the console and storefront shells need on every page."""
    user = getattr(request, "user", None)
    return {
        "brand": theme(),
        "is_console_user": bool(user and roles.is_console_user(user)),
    }
