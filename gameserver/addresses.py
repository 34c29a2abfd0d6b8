"""Who is on the other end: the client's address and scheme, behind trusted proxies.

The peer of a connection is the client unless it is one of
``GAMESERVER_TRUSTED_PROXIES``; then ``X-Forwarded-For`` names the client (the
right-most address that is not itself a trusted proxy: the left part of that header
is whatever the client chose to send) and ``X-Forwarded-Proto`` the scheme. A proxy
not in that list is the client: its headers are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=64)
def networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses and networks (``10.0.0.0/8``, ``::1``) as networks; bad entries raise."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def parse(address: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def within(address: str | None, entries: Iterable[str]) -> bool:
    """True if ``address`` lies in one of ``entries`` (addresses or networks)."""
    ip = parse(address)
    return ip is not None and any(ip in net for net in networks(tuple(entries)))


def trusted(peer: str | None) -> bool:
    return within(peer, settings.GAMESERVER_TRUSTED_PROXIES)


def client_address(peer: str | None, forwarded_for: str | None) -> str:
    """The client's address: the peer, or what a trusted peer says it forwarded."""
    address = peer or ""
    if not forwarded_for or not trusted(peer):
        return address
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        if parse(hop) is None:
            break  # garbage: stop at the last address that a trusted proxy vouched for
        address = hop
        if not trusted(hop):
            break
    return address


def header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def scope_address(scope: dict[str, Any]) -> str:
    """The client's address for an ASGI scope (a socket or a request)."""
    peer = (scope.get("client") or (None,))[0]
    return client_address(peer, header(scope.get("headers", ()), b"x-forwarded-for"))


def scope_scheme(scope: dict[str, Any]) -> str:
    """``http`` or ``https`` as the client sees the site (``ws``/``wss`` map to them)."""
    scheme = scope.get("scheme") or "http"
    peer = (scope.get("client") or (None,))[0]
    if trusted(peer):
        proto = header(scope.get("headers", ()), b"x-forwarded-proto")
        if proto:
            scheme = proto.split(",")[0].strip().lower()
    return {"ws": "http", "wss": "https"}.get(scheme, scheme)


def request_address(request: Any) -> str:
    """The client's address for a Django request."""
    return client_address(request.META.get("REMOTE_ADDR"), request.META.get("HTTP_X_FORWARDED_FOR"))


def unlimited(address: str) -> bool:
    """Exempt from the per-address limits (``GAMESERVER_UNLIMITED_ADDRESSES``)."""
    return within(address, settings.GAMESERVER_UNLIMITED_ADDRESSES)
