"""Requests the model aims from inside the agent (webfetch, the a2a tool): public addresses only, unless approved.

Commands have no network unless the user allows it, but these tools run in the agent itself: without this a model
could read cloud metadata (169.254.169.254), local admin pages, the local Vault or drive a local `serve`. The check
happens where the connection is made, on the address actually connected to, so a DNS answer that changes between
the check and the connection (rebinding) gains nothing."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit


class PrivateAddress(Exception):
    """The host is, or resolves to, an address that is not on the public internet."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def private_target(url: str) -> str | None:
    """Why `url` leads to a private or local address (for the approval question), or None when it does not."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = await resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError:
        return None  # unresolvable: the request itself will say so
    private = [a for a in addresses if not is_public(a)]
    return f"{host} is {private[0]}, a local or private address" if private else None


def guarded_transport() -> Any:
    """An httpx transport that connects only to public addresses, whatever the name resolves to at that moment."""
    import httpx
    from httpcore import AsyncNetworkBackend, ConnectError
    from httpcore._backends.auto import AutoBackend

    class PublicOnly(AsyncNetworkBackend):
        def __init__(self) -> None:
            self.inner = AutoBackend()

        async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                              local_address: str | None = None, socket_options: Any = None) -> Any:
            try:
                addresses = await resolve(host, port)
            except OSError as exc:
                raise ConnectError(f"cannot resolve {host}: {exc}") from None
            public = [a for a in addresses if is_public(a)]
            if not public:
                raise ConnectError(f"{host} resolves to {', '.join(addresses)}: not a public address, refused")
            return await self.inner.connect_tcp(public[0], port, timeout=timeout, local_address=local_address,
                                                socket_options=socket_options)

        async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> Any:
            raise ConnectError("unix sockets are refused")

        async def sleep(self, seconds: float) -> None:
            await self.inner.sleep(seconds)

    transport = httpx.AsyncHTTPTransport()
    transport._pool._network_backend = PublicOnly()  # httpx takes no backend argument; the pool's is the one used
    return transport
