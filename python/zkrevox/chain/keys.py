"""The signing key: from ``$ZKREVOX_PRIVATE_KEY`` or a keystore file, never the command line.

On a local dev chain (chain id 31337) with neither set, anvil's well-known dev
account ``$ZKREVOX_DEV_ACCOUNT`` (default 0) is used, with a warning on stderr.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from zkrevox.errors import InputError

log = logging.getLogger(__name__)

LOCAL_CHAIN_ID = 31337
# anvil's default accounts (mnemonic "test test test test test test test test test test test junk"):
# public test keys, worthless anywhere but a local dev chain.
ANVIL_DEV_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
)


def load_account(chain_id: int, environ: Mapping[str, str] | None = None) -> LocalAccount:
    env: Mapping[str, str] = os.environ if environ is None else environ
    raw = env.get("ZKREVOX_PRIVATE_KEY")
    if raw:
        try:
            return Account.from_key(raw.strip())
        except (ValueError, TypeError):
            raise InputError("ZKREVOX_PRIVATE_KEY is not a 32-byte hex private key; fix the variable") from None
    keystore = env.get("ZKREVOX_KEYSTORE")
    if keystore:
        return _from_keystore(Path(keystore), env)
    if chain_id == LOCAL_CHAIN_ID:
        index = _dev_index(env)
        account = Account.from_key(ANVIL_DEV_KEYS[index])
        log.warning(
            "no key set: using anvil dev account #%d %s (public test key; local chain only)", index, account.address
        )
        return account
    raise InputError(
        f"no signing key for chain {chain_id}: set ZKREVOX_PRIVATE_KEY, or ZKREVOX_KEYSTORE "
        "(with ZKREVOX_KEYSTORE_PASSWORD or an interactive prompt); keys are never taken from the command line"
    )


def _dev_index(env: Mapping[str, str]) -> int:
    raw = env.get("ZKREVOX_DEV_ACCOUNT", "0")
    try:
        index = int(raw)
    except ValueError:
        index = -1
    if not 0 <= index < len(ANVIL_DEV_KEYS):
        raise InputError(f"ZKREVOX_DEV_ACCOUNT must be 0..{len(ANVIL_DEV_KEYS) - 1}, got {raw!r}")
    return index


def _from_keystore(path: Path, env: Mapping[str, str]) -> LocalAccount:
    try:
        encrypted = json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"keystore {path} not found; fix ZKREVOX_KEYSTORE") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"keystore {path} is not JSON ({exc})") from None
    password = env.get("ZKREVOX_KEYSTORE_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            raise InputError("keystore password needed: set ZKREVOX_KEYSTORE_PASSWORD or run interactively")
        password = getpass.getpass(f"password for {path}: ")
    try:
        return Account.from_key(Account.decrypt(encrypted, password))
    except ValueError:
        raise InputError(f"wrong password for keystore {path}") from None
