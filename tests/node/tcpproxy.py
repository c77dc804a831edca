"""A small TCP proxy on 127.0.0.1 that the tests control: forward, refuse, reset or black-hole.

``up`` forwards every connection to the upstream port. ``refuse`` closes the listening socket
(connection refused), ``reset`` accepts and closes at once (connection reset), ``blackhole``
accepts and never answers (the client's read times out), ``ratelimit`` answers every request
with HTTP 429 Too Many Requests. Switching mode drops every open
connection, as a restarted load balancer would.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading

MODES = ("up", "refuse", "reset", "blackhole", "ratelimit")
RATE_LIMITED = (b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                b"Connection: close\r\n\r\n{}")


class TcpProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.upstream = upstream_port
        self.mode = "up"
        self.port = 0
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.accepted = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> TcpProxy:
        self._listen()
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()
        return self

    def set_mode(self, mode: str) -> None:
        assert mode in MODES, mode
        with self._lock:
            self.mode = mode
            self._drop_all()
            if mode == "refuse" and self._listener is not None:
                self._listener.close()
                self._listener = None
            elif mode != "refuse" and self._listener is None:
                self._listen()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._drop_all()
            if self._listener is not None:
                self._listener.close()
                self._listener = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ plumbing

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(64)
        sock.settimeout(0.1)
        self.port = sock.getsockname()[1]
        self._listener = sock

    def _drop_all(self) -> None:
        for conn in list(self._conns):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        self._conns.clear()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                listener = self._listener
            if listener is None:
                self._stop.wait(0.05)
                continue
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:  # the mode now, not when accept() started: a switch must cut this one too
                self.accepted += 1
                mode = self.mode
                if mode != "reset":
                    self._conns.add(client)
            if mode == "reset":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                client.close()
            elif mode == "up":
                threading.Thread(target=self._pipe, args=(client,), daemon=True).start()
            elif mode == "ratelimit":
                threading.Thread(target=self._refuse, args=(client,), daemon=True).start()

    def _refuse(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError):
            client.settimeout(2)
            client.recv(65536)
            client.sendall(RATE_LIMITED)
        with contextlib.suppress(OSError):
            client.close()
        with self._lock:
            self._conns.discard(client)

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection((self.host, self.upstream), timeout=5)
        except OSError:
            client.close()
            return
        with self._lock:
            if client not in self._conns:  # cut by a mode switch meanwhile
                upstream.close()
                return
            self._conns.add(upstream)
        _pump(client, upstream)
        with self._lock:
            self._conns.discard(client)
            self._conns.discard(upstream)


def _pump(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    try:
        while True:
            readable, _, _ = select.select([a, b], [], [], 0.5)
            for src in readable:
                data = src.recv(65536)
                if not data:
                    return
                (b if src is a else a).sendall(data)
    except (OSError, ValueError):
        return
    finally:
        for s in (a, b):
            with contextlib.suppress(OSError):
                s.close()
