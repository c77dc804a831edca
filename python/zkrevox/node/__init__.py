"""The provider node: a long-running process that answers DPrompt requests with proofs.

``ProviderNode(NodeConfig(rpc=..., db=...)).run()`` is what ``zkrevox node`` runs. Modules, one
concern each: ``config`` (options), ``jobs`` (states and transitions), ``store`` (the
``JobStore`` interface and its SQLite implementation), ``follower`` (events, confirmations,
reorgs), ``admission`` (which requests to prove), ``proving`` (worker processes), ``submitter``
(nonces, fees, write-ahead, broadcast, replacement), ``settle`` (what receipts and reverts mean),
``batching`` (which requests share a proof), ``nonces`` (nonce-gap filling), ``retry`` (backoff,
fault classes), ``metrics`` (/metrics, /healthz), ``logs`` (structured logs), ``bootstrap`` (start-up checks, stake),
``pipeline`` (one tick of work on the jobs), ``optimistic`` (optimistic requests: answered by prediction,
finalized after their window), ``node`` (the loop, start, stop, signals), ``watch`` (the watcher:
disputes wrong optimistic answers with a proof).
"""

from zkrevox.node.config import NodeConfig
from zkrevox.node.jobs import Job, State
from zkrevox.node.node import ProviderNode
from zkrevox.node.store import JobStore, SqliteJobStore

__all__ = ["Job", "JobStore", "NodeConfig", "ProviderNode", "SqliteJobStore", "State"]
