"""The match runtime: what holds live matches in a server process.

``host`` (one match's authority) on ``room`` (its connections and tasks) and
``ticking`` (a real-time match's tick loop); ``rebuild`` (where a match stands after a
restart or a takeover); ``hosting`` (this process's hosts, ownership and the reaper)
with ``inbox`` (events from sockets in other processes) and ``remote`` (the two ends of
a socket whose host is elsewhere); ``ownership`` (the Redis keys that give each match
one host), ``journal`` (durable moves, and real-time inputs once a second), ``replay``
(rebuilding a state from its seed and log) and ``metrics``. The Django parts of the
match app (models, admin, API, persistence) sit beside it.
"""
