"""Uploaded media (``MEDIA_ROOT``) served so that nothing in it can run on the site's origin.

The embedded setup serves ``/media/`` with ``serve`` below; behind a proxy the proxy serves
``MEDIA_ROOT`` with the same headers (README, "Serving uploaded media"):

* the type comes from an allowlist by extension (JPEG, PNG, WebP: what ``kernel.images``
  stores); anything else is ``application/octet-stream`` with ``Content-Disposition: attachment``,
  so a file named ``.html`` or ``.js`` is downloaded, never rendered or run;
* ``Content-Security-Policy: sandbox; default-src 'none'`` (opened directly, even an image
  document gets a unique origin and may load nothing; in an ``<img>`` it displays as usual);
* ``X-Content-Type-Options: nosniff`` (the browser keeps the declared type);
* ``Cross-Origin-Resource-Policy``: ``cross-origin`` for the images, which are public by design
  and embedded elsewhere (the brand logo in customers' emails, read by webmail in its own
  origin), ``same-origin`` for everything else.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.utils._os import safe_join
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

from .images import CONTENT_TYPES

SANDBOX = "sandbox; default-src 'none'"


def headers_for(name: str) -> dict[str, str]:
    """The response headers for the media file ``name`` (the proxy configuration mirrors them)."""
    content_type = CONTENT_TYPES.get(Path(name).suffix.lower().lstrip("."))
    headers = {
        "Content-Type": content_type or "application/octet-stream",
        "Content-Security-Policy": SANDBOX,
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Resource-Policy": "cross-origin" if content_type else "same-origin",
    }
    if content_type is None:
        headers["Content-Disposition"] = "attachment"
    return headers


@require_safe
def serve(request, path: str):
    """A file under ``MEDIA_ROOT`` (after resolving symbolic links), or 404."""
    root = Path(settings.MEDIA_ROOT).resolve()
    try:
        full = Path(safe_join(root, path)).resolve()
    except (SuspiciousFileOperation, ValueError, OSError) as error:
        raise Http404 from error
    if not full.is_relative_to(root) or not full.is_file():
        raise Http404
    stat = full.stat()
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), stat.st_mtime):
        return HttpResponseNotModified()
    headers = headers_for(full.name)
    attachment = "Content-Disposition" in headers
    response = FileResponse(full.open("rb"), content_type=headers.pop("Content-Type"), as_attachment=attachment,
                            filename=full.name)
    headers.pop("Content-Disposition", None)  # FileResponse wrote it, with the file's name
    if not attachment:
        response.headers.pop("Content-Disposition", None)  # "inline; filename=..." adds nothing for an image
    for name, value in headers.items():
        response[name] = value
    response["Last-Modified"] = http_date(stat.st_mtime)
    return response
