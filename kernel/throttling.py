"""Who is calling, and how often.

``client_address`` is the one rule for a caller's IP address (API throttles and the login
lockout both use it). ``AnonRateThrottle`` and ``UserRateThrottle`` replace DRF's classes of
the same names with an atomic counter.
"""

import ipaddress

from django.conf import settings
from django.core.cache import cache
from rest_framework import throttling
from rest_framework.settings import api_settings


def client_address(request) -> str | None:
    """The caller's IP address, as far as this server can trust it.

    ``settings.TRUSTED_PROXY_COUNT`` reverse proxies stand in front of Django (0 in the
    embedded setup). With none, the address is the connection's (``REMOTE_ADDR``) and
    ``X-Forwarded-For`` is ignored: any client can write that header. With N, it is the N-th
    address from the right of ``X-Forwarded-For``, the one the outermost trusted proxy saw;
    what a client wrote to the left of it is ignored. DRF's ``NUM_PROXIES`` follows the same
    rule and is set from the same variable. A value that is not an IP address falls back to
    ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded.strip():
        return remote
    addresses = [part.strip() for part in forwarded.split(",")]
    candidate = addresses[-min(proxies, len(addresses))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


class AtomicRateThrottle(throttling.SimpleRateThrottle):
    """A fixed window per caller, counted with one atomic increment.

    The first request of a window creates the counter (``cache.add``, which expires with the
    window); every other request increments it (``cache.incr``) and passes while the count is
    within the rate. DRF's own throttles read a history list, append and write it back, so
    concurrent requests read the same history and all pass; an increment cannot be lost that
    way. Atomic across processes on Redis (``INCR``) and within one process on the
    local-memory cache (which is per process anyway).

    The rate is ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope]`` when set, else
    ``default_rate``. The caller's address is ``client_address``.
    """

    default_rate: str | None = None

    def get_rate(self) -> str | None:
        return (api_settings.DEFAULT_THROTTLE_RATES or {}).get(self.scope) or self.default_rate

    def get_ident(self, request) -> str | None:
        return client_address(request)

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        return self.count(self.key) <= self.num_requests

    def count(self, key: str) -> int:
        """This request's number in the current window of ``key``."""
        for _attempt in range(3):
            if cache.add(key, 1, self.duration):
                cache.set(f"{key}:opened", self.now, self.duration)
                return 1
            try:
                number = cache.incr(key)
            except ValueError:  # the window closed between add and incr: open the next one
                continue
            if number == 1:
                # The counter expired between the backend's existence check and its increment,
                # which then created it without an expiry: give it one.
                cache.touch(key, self.duration)
            return number
        return 1  # the cache keeps dropping the key (a cache that stores nothing): do not throttle

    def wait(self) -> float:
        """Seconds until the caller's window closes."""
        opened = cache.get(f"{self.key}:opened")
        if opened is None:
            return self.duration
        return max(1.0, self.duration - (self.timer() - opened))


class AnonRateThrottle(AtomicRateThrottle, throttling.AnonRateThrottle):
    """Anonymous callers per client address; signed-in callers are not throttled."""


class UserRateThrottle(AtomicRateThrottle, throttling.UserRateThrottle):
    """Signed-in callers per user; anonymous callers per client address."""
