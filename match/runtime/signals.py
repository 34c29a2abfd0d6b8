"""What the match runtime tells the rest of the server, as Django signals.

``match_abandoned`` is sent (``asend_robust``) by the host whose join timeout abandoned
a match, with ``match_id``, ``present`` (the ids of the players who connected) and
``missing`` (those who never did), after ``match.over`` went out. The lobby listens: it
puts the present back in the queue and gives the missing a cooldown.
"""

from __future__ import annotations

from django.dispatch import Signal

match_abandoned = Signal()
