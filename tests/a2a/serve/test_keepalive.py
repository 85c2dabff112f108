"""A client that keeps its connection open (the a2a-sdk's does) gets each answer at once: the connections serve
accepts have Nagle's algorithm off. With it on, every response after a connection's first waited 40 ms for the
client's delayed ACK (a blocking SendMessage took 56 ms instead of 12)."""

from __future__ import annotations

import asyncio
import socket

from codetether.server.serve import _listen


def test_connections_serve_accepts_send_without_waiting_for_acks():
    listener = _listen("127.0.0.1", 0)

    async def nodelay_of_accepted() -> int:
        client = socket.create_connection(listener.getsockname())
        conn, _ = listener.accept()
        # The way uvicorn's server takes a connection: an asyncio transport over the accepted socket.
        transport, _ = await asyncio.get_running_loop().connect_accepted_socket(asyncio.Protocol, conn)
        try:
            return transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        finally:
            transport.close()
            client.close()

    try:
        assert asyncio.run(nodelay_of_accepted()) != 0
    finally:
        listener.close()
