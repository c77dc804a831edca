"""Compile Solidity with the pinned solc-js, through standard JSON, with a cache.

solc-js runs under node via ``verifier-contracts/scripts/solc-standard-json.js`` (it buffers
stdin and writes its whole answer synchronously; plain ``solcjs`` cut its output near 64 KiB in
a pipe and prints a notice before the JSON). Outputs are cached under ``build/solc-cache/``
keyed by the sha256 of the compiler, the script and the full standard-JSON input.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from zkrevox.chain.paths import build_dir, contracts_dir, node_executable, repo_root
from zkrevox.errors import ChainError

SOLC_VERSION = "0.8.37"
EVM_VERSION = "cancun"
OPTIMIZER_RUNS = 1_000  # balances the hot paths' gas (request, fulfil) against EIP-170 room
MAX_DEPLOYED_SIZE = 24_576  # EIP-170
_SCRIPT = "scripts/solc-standard-json.js"


@dataclass(frozen=True)
class CompiledContract:
    name: str
    source: str  # source unit name, e.g. "src/DPrompt.sol"
    abi: list[dict[str, Any]]
    bytecode: bytes  # creation code; a linked library's address reads as 20 zero bytes until `linked`
    deployed_bytecode: bytes
    # external libraries the creation code calls: library name -> byte offsets of its address
    link_references: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def deployed_size(self) -> int:
        return len(self.deployed_bytecode)

    def linked(self, libraries: dict[str, str]) -> bytes:
        """The creation code with each external library's deployed address written in."""
        missing = sorted(set(self.link_references) - set(libraries))
        if missing:
            raise ChainError(f"{self.name} needs the address of librar{'y' if len(missing) == 1 else 'ies'} "
                             f"{', '.join(missing)} to be deployed")
        code = bytearray(self.bytecode)
        for name, offsets in self.link_references.items():
            address = bytes.fromhex(libraries[name].removeprefix("0x"))
            for start in offsets:
                code[start:start + 20] = address
        return bytes(code)


def solcjs_version() -> str:
    """The full version string of the installed solc-js (e.g. ``0.8.37+commit.f401782d...``)."""
    return _run_script(["--version"], b"").decode().strip().rsplit("Version: ", 1)[-1]


def standard_input(sources: dict[str, str], *, optimizer_runs: int = OPTIMIZER_RUNS) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sorted(sources.items())},
        "settings": {
            "optimizer": {"enabled": True, "runs": optimizer_runs},
            "evmVersion": EVM_VERSION,
            "metadata": {"bytecodeHash": "none"},
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.bytecode.linkReferences",
                                            "evm.deployedBytecode.object"]}},
        },
    }


def compile_standard_json(std_input: dict[str, Any]) -> dict[str, Any]:
    """Compile a standard-JSON input; raise ``ChainError`` listing the compiler's errors."""
    payload = json.dumps(std_input, sort_keys=True).encode()
    key = hashlib.sha256(_toolchain_fingerprint().encode() + b"\0" + payload).hexdigest()
    cache_file = build_dir() / "solc-cache" / f"{key}.json"
    if cache_file.is_file():
        return json.loads(cache_file.read_text())
    out = json.loads(_run_script(["--standard-json"], payload))
    errors = [e for e in out.get("errors", []) if e.get("severity") == "error"]
    if errors:
        text = "\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors)
        raise ChainError(f"solc {SOLC_VERSION} failed:\n{text}")
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(out))
    tmp.replace(cache_file)
    return out


def compile_files(paths: list[Path], *, base: Path | None = None) -> dict[str, CompiledContract]:
    """Compile the given files (source unit names relative to ``base``) and everything they import
    from under ``base``. Returns contracts keyed by name; a name defined twice is keyed
    ``source:Name`` as well."""
    base = base or contracts_dir()
    sources = _collect_sources([p.resolve() for p in paths], base.resolve())
    out = compile_standard_json(standard_input(sources))
    result: dict[str, CompiledContract] = {}
    for source, contracts in out.get("contracts", {}).items():
        for name, data in contracts.items():
            evm = data.get("evm", {})
            links = evm.get("bytecode", {}).get("linkReferences", {})
            c = CompiledContract(
                name=name,
                source=source,
                abi=data.get("abi", []),
                bytecode=_unlinked(evm.get("bytecode", {}).get("object", "")),
                deployed_bytecode=_unlinked(evm.get("deployedBytecode", {}).get("object", "")),
                link_references={lib: tuple(ref["start"] for ref in refs)
                                 for libs in links.values() for lib, refs in libs.items()},
            )
            result[f"{source}:{name}"] = c
            result.setdefault(name, c)
    return result


@cache
def project_contracts() -> dict[str, CompiledContract]:
    """DPrompt, its libraries and interfaces, the REX contracts (``src/rex/``), the examples and the
    test-only contracts (not the generated verifiers)."""
    root = contracts_dir()
    files = [root / "src" / "DPrompt.sol", *sorted((root / "src" / "rex").glob("*.sol")),
             *sorted((root / "src" / "examples").glob("*.sol")),
             *sorted((root / "test").glob("*.sol"))]
    return compile_files(files)


def compile_verifier(path: Path) -> CompiledContract:
    """Compile an ezkl-generated verifier on its own (it is large; it changes rarely)."""
    contracts = compile_files([path], base=path.resolve().parent)
    verifier = contracts.get("Halo2Verifier")
    if verifier is None:
        raise ChainError(f"{path} defines no `Halo2Verifier` contract; regenerate it with `zkrevox chain verifier`")
    if verifier.deployed_size > MAX_DEPLOYED_SIZE:
        raise ChainError(
            f"{path} compiles to {verifier.deployed_size} bytes, over the {MAX_DEPLOYED_SIZE}-byte contract "
            "limit (EIP-170); rebuild the circuit with fewer columns or instances"
        )
    return verifier


def _unlinked(hex_code: str) -> bytes:
    """Bytecode hex with solc's library placeholders (``__$<hash>$__``, 40 characters) read as zeros."""
    return bytes.fromhex(re.sub(r"__\$[0-9a-f]{34}\$__", "0" * 40, hex_code))


def _collect_sources(paths: list[Path], base: Path) -> dict[str, str]:
    """Read ``paths`` and, transitively, their imports, as source unit names: under ``base`` for
    our files, the import path itself for npm packages (``@openzeppelin/contracts/...``, read from
    ``node_modules/``, pinned in package.json)."""
    modules = (repo_root() / "node_modules").resolve()
    sources: dict[str, str] = {}
    todo = list(paths)
    while todo:
        path = todo.pop()
        if path.is_relative_to(modules):
            name = path.relative_to(modules).as_posix()
        elif path.is_relative_to(base):
            name = path.relative_to(base).as_posix()
        else:
            raise ChainError(f"{path} is outside {base}; keep contracts under verifier-contracts/")
        if name in sources:
            continue
        try:
            text = path.read_text()
        except OSError as exc:
            hint = "; run `make setup` (npm ci)" if path.is_relative_to(modules) else ""
            raise ChainError(f"cannot read {path}: {exc}{hint}") from None
        sources[name] = text
        for imported in _imports(text):
            if imported.startswith("."):
                todo.append((path.parent / imported).resolve())
            elif imported.startswith("@"):
                todo.append(modules / imported)
    return sources


def _imports(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("import "):
            parts = line.split('"')
            if len(parts) >= 3:
                found.append(parts[-2])
    return found


@cache
def _toolchain_fingerprint() -> str:
    solc_pkg = repo_root() / "node_modules" / "solc" / "package.json"
    script = contracts_dir() / _SCRIPT
    h = hashlib.sha256()
    for f in (solc_pkg, script):
        if f.is_file():
            h.update(f.read_bytes())
    return h.hexdigest()


def _run_script(args: list[str], stdin: bytes) -> bytes:
    script = contracts_dir() / _SCRIPT
    if not (repo_root() / "node_modules" / "solc").is_dir():
        raise ChainError("solc-js is not installed (node_modules/solc missing); run `make setup` (npm ci)")
    try:
        proc = subprocess.run(
            [node_executable(), str(script), *args], input=stdin, capture_output=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        raise ChainError("solc-js did not finish in 10 minutes") from None
    if proc.returncode != 0:
        raise ChainError(f"solc-js exited with {proc.returncode}: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout
