"""What a provider node is told: ``zkrevox node``'s options, as one value the Python API takes too."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zkrevox.errors import InputError


@dataclass(frozen=True)
class NodeConfig:
    rpc: str
    db: Path
    # --store postgresql://…: the job store in PostgreSQL (shared with standby nodes and remote provers);
    # None: the SQLite file ``db``. With it, --workers 0 proves nothing here (``zkrevox prover`` does).
    store: str | None = None
    # --network: the RPC's chain id must be this preset's (local: a development chain); None (the Python
    # API's default) checks nothing. rpc_source says where the URL came from, for the error message.
    network: str | None = None
    rpc_source: str = "--rpc"
    model: str = "ticker"
    # several models served by one node (``--model A --model B``): one job store and one cursor, a prover
    # pool, admission and batching per model; empty: ``model`` alone. ``model`` is then models[0].
    models: tuple[str, ...] = ()
    workers: int = 1
    confirmations: int = 0  # blocks on top of a request (or a fulfilment) before it counts
    stake_wei: int | None = None  # top the stake up to this on start
    metrics_port: int | None = None  # /healthz and /metrics on 127.0.0.1; 0 picks a free port
    metrics_host: str = "127.0.0.1"
    deployments_dir: Path | None = None  # default: $ZKREVOX_DEPLOYMENTS, else <repo>/deployments
    proofs_dir: Path | None = None  # default: next to the db, "<db stem>-proofs/"
    poll_interval: float = 2.0  # seconds between polls of the chain when idle
    rpc_timeout: float = 10.0  # seconds per RPC request
    log_chunk_blocks: int = 2000  # most blocks per eth_getLogs
    max_attempts: int = 5  # per request: failed prove or submit attempts before giving up
    prove_timeout: float = 300.0  # cap of the prove time-out (also the time-out of a size not yet measured)
    prove_timeout_factor: float = 4.0  # a proof is timed out past this multiple of its size's average
    prove_timeout_floor: float = 30.0  # ... but never before this many seconds
    batch_sizes: tuple[int, ...] | None = None  # sizes to use (1 = fulfil alone); None: every size built and registered
    batch_policy: str = "gas"  # gas: wait to fill the largest size; latency: prove at once what is waiting
    max_batch_wait: float = 5.0  # seconds a request may wait for companions (gas policy)
    capacity: int | None = None  # requests this provider may hold pending, declared on-chain; None: auto
    gap_grace: float = 5.0  # seconds a nonce gap must persist before it is filled
    deadline_margin: float = 10.0  # seconds kept free before a deadline for the fulfilment to be mined
    bump_after: float = 30.0  # seconds a fulfilment may stay unmined before its fees are raised
    bump_factor: float = 1.2  # fee multiplier of a replacement (nodes need >= 1.1)
    max_bumps: int = 8
    drain_timeout: float = 30.0  # on SIGTERM: how long to finish in-flight proofs and fulfilments
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    chain_check_every: float = 10.0  # seconds between checks that the chain is still the same one
    reuse_proofs: bool = True  # answer a request whose features were proved before with that proof (proofcache)
    watch: bool = False  # also run the watcher (disputes wrong optimistic answers), job store "<db stem>-watch.db"

    def __post_init__(self) -> None:
        if self.models:
            if len(set(self.models)) != len(self.models):
                raise InputError(f"--model names each model once, got {list(self.models)}")
            object.__setattr__(self, "model", self.models[0])
        if self.store is not None and not self.store.startswith(("postgresql://", "postgres://")):
            raise InputError(f"--store must be a postgresql:// URL, got {self.store!r}; for a SQLite file use --db")
        if self.workers < 0 or (self.workers == 0 and self.store is None):
            raise InputError(f"--workers must be at least 1, got {self.workers} (0, remote provers only, needs "
                             "--store postgresql://…)")
        if self.confirmations < 0:
            raise InputError(f"--confirmations must be 0 or more, got {self.confirmations}")
        if self.poll_interval <= 0 or self.rpc_timeout <= 0:
            raise InputError("--poll-interval and --rpc-timeout must be positive")
        if self.max_attempts < 1:
            raise InputError(f"--max-attempts must be at least 1, got {self.max_attempts}")
        if self.bump_factor < 1.1:
            raise InputError(f"--bump-factor must be at least 1.1 (nodes refuse smaller bumps), got {self.bump_factor}")
        if self.stake_wei is not None and self.stake_wei <= 0:
            raise InputError("--stake must be positive")
        if self.batch_policy not in ("gas", "latency"):
            raise InputError(f"--batch-policy must be gas or latency, got {self.batch_policy!r}")
        if self.max_batch_wait < 0:
            raise InputError(f"--max-batch-wait must be 0 or more, got {self.max_batch_wait}")
        if self.batch_sizes is not None and (1 not in self.batch_sizes or min(self.batch_sizes) < 1):
            raise InputError(f"--batch-sizes must include 1 (a lone request), got {list(self.batch_sizes)}")
        if self.capacity is not None and not 1 <= self.capacity <= 65535:
            raise InputError(f"--capacity must be between 1 and 65535, got {self.capacity}")
        if self.prove_timeout_factor < 1 or self.prove_timeout_floor <= 0 or self.prove_timeout <= 0:
            raise InputError("prove time-outs: the factor must be at least 1, the floor and the cap positive")

    @property
    def served(self) -> tuple[str, ...]:
        """The models this node proves, the first one first (the one it reports as ``model``)."""
        return self.models or (self.model,)

    @property
    def remote(self) -> bool:
        """True when the node proves nothing itself (``--workers 0``): ``zkrevox prover`` processes do."""
        return self.workers == 0

    @property
    def store_name(self) -> str:
        """The job store, for messages (a URL without its password, or the SQLite path)."""
        if self.store is None:
            return str(self.db)
        from zkrevox.node.store_pg import redact

        return redact(self.store)

    @property
    def proofs_path(self) -> Path:
        return self.proofs_dir or self.db.with_name(self.db.stem + "-proofs")
