"""``/metrics`` (Prometheus text format) and ``/healthz`` (JSON) on a local port.

Each node has its own registry, so several nodes can live in one process (tests, embedding).
The server runs in a daemon thread and only reads: counters and gauges the node updates, and a
health callback.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class NodeMetrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        p = "zkrevox_node_"
        self.seen = Counter(p + "requests_seen", "Requests assigned to this provider, seen on-chain", registry=r)
        self.claimed = Counter(p + "requests_claimed", "Requests taken on for proving", registry=r)
        self.proved = Counter(p + "requests_proved", "Proofs made", registry=r)
        self.fulfilled = Counter(p + "requests_fulfilled", "Fulfilments confirmed on-chain", registry=r)
        self.failed = Counter(p + "requests_failed", "Requests given up after attempts", ["reason"], registry=r)
        self.skipped = Counter(p + "requests_skipped", "Requests not attempted", ["reason"], registry=r)
        self.retries = Counter(p + "retries", "Retried prove or submit steps", ["step"], registry=r)
        self.rpc_errors = Counter(p + "rpc_errors", "RPC failures (timeouts, refused, rate limits)", registry=r)
        self.transactions = Counter(p + "transactions_sent", "Fulfil transactions broadcast", ["kind"], registry=r)
        self.batches = Counter(p + "batches_sent", "fulfilBatch transactions first sent, by batch size", ["size"],
                               registry=r)
        self.prove_timeouts = Counter(p + "prove_timeouts", "Proofs abandoned past their time-out (worker replaced)",
                                      ["size"], registry=r)
        self.gaps_filled = Counter(p + "nonce_gaps_filled", "Nonces filled with a 0-value self-transfer", registry=r)
        self.prove_timeout_seconds = Gauge(p + "prove_timeout_seconds", "Current prove time-out by batch size",
                                           ["size"], registry=r)
        self.prove_seconds = Histogram(p + "prove_seconds", "Proof generation time", buckets=LATENCY_BUCKETS,
                                       registry=r)
        self.e2e_seconds = Histogram(p + "e2e_seconds",
                                     "Request first seen by the node to fulfilment confirmed (wall clock)",
                                     buckets=LATENCY_BUCKETS, registry=r)
        self.queue = Gauge(p + "queue_depth", "Requests in each live state", ["state"], registry=r)
        self.stake = Gauge(p + "stake_wei", "Provider stake for the model", registry=r)
        self.earned = Gauge(p + "earned_wei", "Fees earned and not yet collected", registry=r)
        self.balance = Gauge(p + "balance_wei", "Provider account balance (pays gas)", registry=r)
        self.head = Gauge(p + "head_block", "Latest block of the RPC", registry=r)
        self.cursor = Gauge(p + "processed_block", "Last block whose events are processed", registry=r)
        w = "zkrevox_watch_"  # the watcher's (zkrevox watch, node --watch)
        self.checked = Counter(w + "answers_checked", "Optimistic answers recomputed with the local model", registry=r)
        self.disputed = Counter(w + "answers_disputed", "Disputes sent (first broadcast)", registry=r)
        self.left = Counter(w + "answers_left", "Wrong answers not disputed: unprofitable (the dispute would lose "
                            "money at the current gas price), too-late (no time left to prove and mine)", ["reason"],
                            registry=r)
        self.up = Gauge(p + "healthy", "1 when the node is following the chain and proving", registry=r)
        # remote provers (--workers 0 with --store postgresql://…): the proof-job queue this node fills
        self.proof_jobs = Gauge(p + "proof_jobs", "Proof jobs of this node in the queue, by model and state",
                                ["model", "state"], registry=r)
        self.proof_queue_age = Gauge(p + "proof_queue_oldest_seconds", "Age of the oldest queued proof job",
                                     ["model"], registry=r)
        self.prover_slots = Gauge(p + "prover_slots", "Proofs the live remote provers can run at once", ["model"],
                                  registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsServer:
    """A tiny HTTP server: ``GET /metrics`` and ``GET /healthz`` (200 when healthy, 503 otherwise)."""

    def __init__(self, metrics: NodeMetrics, health: Callable[[], dict[str, Any]], host: str, port: int) -> None:
        self._metrics = metrics
        self._health = health
        handler = self._handler()
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="zkrevox-metrics", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MetricsServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._reply(200, CONTENT_TYPE_LATEST, outer._metrics.render())
                elif path == "/healthz":
                    health = outer._health()
                    code = 200 if health.get("status") == "ok" else 503
                    self._reply(code, "application/json", json.dumps(health, sort_keys=True).encode() + b"\n")
                else:
                    self._reply(404, "text/plain", b"not found: try /metrics or /healthz\n")

            def _reply(self, code: int, ctype: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: scrapes are not news
                pass

        return Handler
