"""How a pass groups one game's queue by skill (protocol.md, "Ranked matchmaking").

A ticket's window is its rating plus or minus ``base + widen * waited``. A ticket takes
``size`` seats (a party's: one per member, at the members' mean rating) and is never
split; a group of one party alone is never formed (it waits for others). A group is
*compatible* when every member's rating lies inside every member's window: the ratings
all lie in the intersection of the windows. A pass forms groups greedily:

1. Full groups (``max_players`` seats) first, closest ratings first: the compatible full group
   of the smallest spread (highest rating minus lowest), ties to the group whose oldest
   ticket came first. Each candidate group is anchored at its lowest rating; a
   candidate can only get worse as others are taken, so a lazy heap finds the best.
2. Then, for a game that also plays with fewer (``min_players < max_players``), each
   ticket that has waited the fill timeout, oldest first, gathers the largest group it
   can, nearest ratings first, each ticket taken if its seats still fit; at least
   ``min_players`` seats form a group.

The Redis backend runs the same steps in Lua (``lobby/take.lua``); the shared contract
tests hold both to the same groups.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class SkillWindow:
    """``base`` rating points either side, widening by ``widen`` a second of waiting."""

    base: float = 5.0
    widen: float = 1.0

    @classmethod
    def from_settings(cls) -> SkillWindow:
        return cls(settings.GAMESERVER_SKILL_WINDOW, settings.GAMESERVER_SKILL_WIDEN)

    def half_width(self, waited: float) -> float:
        return self.base + self.widen * max(0.0, waited)


@dataclass(frozen=True)
class Waiting:
    """A queued ticket as a pass sees it: ``since`` is when it started waiting."""

    id: str
    rating: float
    since: float
    size: int = 1


class Pass:
    """One pass over one queue at ``now``: call ``groups()`` once."""

    def __init__(
        self, waiting: Iterable[Waiting], now: float, window: SkillWindow, fill: float
    ) -> None:
        self.order = sorted(waiting, key=lambda w: (w.rating, w.since, w.size, w.id))
        self.now, self.fill = now, fill
        self.rating = [w.rating for w in self.order]
        self.size = [w.size for w in self.order]
        self.reach = [window.half_width(now - w.since) for w in self.order]
        self.taken = [False] * len(self.order)
        # Skip pointers over taken tickets: ``free_up(i)`` is the first free one from i.
        self.up = list(range(len(self.order) + 1))

    def groups(self, low: int, high: int) -> list[list[str]]:
        """The groups formed, each in arrival order (first come, first seat)."""
        formed = self.full_groups(high)
        if low < high:
            formed += self.filled_groups(low, high)
        return [self.arrival_order(group) for group in formed]

    def arrival_order(self, group: list[int]) -> list[str]:
        ordered = sorted(group, key=lambda i: (self.order[i].since, self.order[i].id))
        return [self.order[i].id for i in ordered]

    # Full groups ---------------------------------------------------------------------

    def anchored(self, a: int, seats: int) -> tuple[float, float, list[int]] | None:
        """The closest compatible group of ``seats`` seats whose lowest rating is ``a``'s:
        (spread, oldest arrival, members), or None.
        """
        rating, reach, since, size = self.rating, self.reach, self.order, self.size
        if size[a] >= seats:  # a party alone is no group
            return None
        top = rating[a] + reach[a]
        members: list[int] = []  # above the anchor, their windows reaching every rating
        j = self.free_up(a + 1)
        while j < len(rating) and rating[j] <= top:
            if rating[j] - reach[j] <= rating[a]:
                kept = [i for i in members if rating[i] + reach[i] >= rating[j]]
                taken = size[a] + sum(size[i] for i in kept) + size[j]
                if taken <= seats:  # a ticket whose seats do not fit is passed over
                    members = [*kept, j]
                if taken == seats:
                    group = [a, *members]
                    return rating[j] - rating[a], min(since[i].since for i in group), group
            j = self.free_up(j + 1)
        return None

    def take(self, group: list[int]) -> None:
        for i in group:
            self.taken[i] = True
            self.up[i] = i + 1

    def free_up(self, i: int) -> int:
        """The first free ticket from ``i`` up (``len`` if none), halving the path."""
        up = self.up
        while up[i] != i:
            up[i] = up[up[i]]
            i = up[i]
        return i

    def full_groups(self, size: int) -> list[list[int]]:
        heap = []
        for a in range(len(self.order)):
            found = self.anchored(a, size)
            if found is not None:
                heap.append((found[0], found[1], a))
        heapq.heapify(heap)
        formed = []
        while heap:
            spread, oldest, a = heapq.heappop(heap)
            if self.taken[a]:
                continue
            found = self.anchored(a, size)
            if found is None:
                continue
            if (found[0], found[1]) != (spread, oldest):
                heapq.heappush(heap, (found[0], found[1], a))
                continue
            self.take(found[2])
            formed.append(found[2])
        return formed

    # Smaller groups after the fill timeout ----------------------------------------------

    def filled_groups(self, low: int, high: int) -> list[list[int]]:
        due = [i for i, w in enumerate(self.order) if max(0.0, self.now - w.since) >= self.fill]
        formed = []
        for t in sorted(due, key=lambda i: (self.order[i].since, self.order[i].id)):
            if self.taken[t]:
                continue
            group = self.gather(t, high)
            seats = sum(self.size[i] for i in group)
            if seats >= low and (len(group) > 1 or self.size[t] == 1):
                self.take(group)
                formed.append(group)
        return formed

    def gather(self, t: int, high: int) -> list[int]:
        """The group ``t`` gathers: free tickets nearest its rating first, each taken if
        the group stays compatible, until it is full or nothing nearer can fit.
        """
        rating, reach, size = self.rating, self.reach, self.size
        group, seats = [t], size[t]
        lo = hi = rating[t]
        floor, ceiling = rating[t] - reach[t], rating[t] + reach[t]
        below, above = self.free_down(t - 1), self.free_above(t + 1)
        while seats < high:
            side = self.nearer(below, above, rating[t])
            if side is None:
                break
            c = below if side < 0 else above
            if not floor <= rating[c] <= ceiling:  # this side has nothing left that fits
                below, above = (-1, above) if side < 0 else (below, -1)
                continue
            fits = seats + size[c] <= high
            if fits and rating[c] - reach[c] <= lo and rating[c] + reach[c] >= hi:
                group.append(c)
                seats += size[c]
                lo, hi = min(lo, rating[c]), max(hi, rating[c])
                floor, ceiling = (
                    max(floor, rating[c] - reach[c]),
                    min(ceiling, rating[c] + reach[c]),
                )
            if side < 0:
                below = self.free_down(c - 1)
            else:
                above = self.free_above(c + 1)
        return group

    def free_above(self, i: int) -> int:
        """The first free ticket from ``i`` up, or -1."""
        i = self.free_up(i)
        return i if i < len(self.order) else -1

    def free_down(self, i: int) -> int:
        """The first free ticket from ``i`` down, or -1."""
        while i >= 0 and self.taken[i]:
            i -= 1
        return i

    def nearer(self, below: int, above: int, rating: float) -> int | None:
        """-1 to take ``below`` next, 1 for ``above`` (nearer rating, then first come)."""
        if below < 0 and above < 0:
            return None
        if below < 0 or above < 0:
            return 1 if below < 0 else -1
        order = self.order
        down, up = rating - order[below].rating, order[above].rating - rating
        if down != up:
            return -1 if down < up else 1
        return (
            -1
            if (order[below].since, order[below].id) <= (order[above].since, order[above].id)
            else 1
        )
