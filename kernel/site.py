"""The site's public address: absolute links for what is read outside the browser (emails).

``SITE_URL`` comes from the environment (README, "Configuration"); in the embedded setup it
defaults to ``http://localhost:$PORT``, so links follow the port ``./dev up`` serves on.
"""

from django.conf import settings


def absolute_url(path: str) -> str:
    """``path`` (``/account/orders/W1/``, a media or static URL) as an absolute URL under
    ``SITE_URL``; an URL that is already absolute is returned unchanged, '' stays ''."""
    if not path or path.startswith(("http://", "https://", "//")):
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")
