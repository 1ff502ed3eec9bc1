"""The API throttles (DESIGN §9.2, §9.3): DRF's anonymous, per-user and login rates, counted across processes.

With ``CRM_THROTTLE_STORE = "database"`` (the default without Redis) a request costs one upsert on
``ThrottleCounter`` and the rate is checked on a sliding-window estimate: the hits of the current window plus
those of the previous window weighted by how much of it still overlaps the last ``duration`` seconds. With
``"cache"`` (Redis configured) DRF's own history list in the cache is used unchanged.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from crm.models import ThrottleCounter


class CountedThrottleMixin:
    """``allow_request`` and ``wait`` of a ``SimpleRateThrottle`` on the shared counter table."""

    def allow_request(self, request, view):
        if settings.CRM_THROTTLE_STORE != "database":
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        hits, previous = ThrottleCounter.objects.hit(key=self.key, window=self.duration, now=self.now)
        self.hits_before = hits - 1 + previous * self._previous_weight()
        self.previous_hits = previous
        if self.hits_before < self.num_requests:
            return True
        ThrottleCounter.objects.unhit(key=self.key, window=self.duration, now=self.now)
        return False

    def _previous_weight(self) -> float:
        """Share of the previous window still inside the last ``duration`` seconds."""
        return 1 - (self.now % self.duration) / self.duration

    def wait(self):
        if settings.CRM_THROTTLE_STORE != "database":
            return super().wait()
        # Seconds until the estimate falls under the rate, if no other request comes meanwhile.
        current = self.hits_before - self.previous_hits * self._previous_weight()
        left_in_window = self.duration - self.now % self.duration
        if current >= self.num_requests:
            # Wait for the next window, then for this window's hits (now the previous ones) to weigh less.
            return left_in_window + self.duration * max(0.0, 1 - self.num_requests / max(current, 1))
        # The previous window's hits must weigh less than the room left in this one.
        room = self.num_requests - current
        needed_weight = room / self.previous_hits if self.previous_hits else 1.0
        return max(0.0, min(left_in_window, (self._previous_weight() - needed_weight) * self.duration))


class CrmAnonRateThrottle(CountedThrottleMixin, AnonRateThrottle):
    """Anonymous requests per client address, at the ``anon`` rate."""


class CrmUserRateThrottle(CountedThrottleMixin, UserRateThrottle):
    """Signed-in requests per user (anonymous ones per address), at the ``user`` rate."""
