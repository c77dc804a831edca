"""The signing key: from ``$ZKREVOX_PRIVATE_KEY`` or a keystore file, never the command line.

On a local dev chain (chain id 31337) with neither set, anvil's well-known dev
account ``$ZKREVOX_DEV_ACCOUNT`` (0..9, as anvil prints them; default 0) is used, with a notice on stderr.
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
# All ten accounts anvil funds by default (``ZKREVOX_DEV_ACCOUNT`` picks one); ``ANVIL_DEV_KEYS`` stays the
# first five, which tests unpack by role.
ANVIL_DEV_KEYS_ALL = (
    *ANVIL_DEV_KEYS,
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
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
        account = Account.from_key(ANVIL_DEV_KEYS_ALL[index])
        if "ZKREVOX_DEV_ACCOUNT" in env:
            log.warning("using anvil dev account #%d %s (ZKREVOX_DEV_ACCOUNT; public test key, local chain only)",
                        index, account.address)
        else:
            log.warning("no key set: using anvil dev account #0 %s (public test key, local chain only; "
                        "ZKREVOX_DEV_ACCOUNT=N picks another, ZKREVOX_PRIVATE_KEY sets yours)", account.address)
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
    if not 0 <= index < len(ANVIL_DEV_KEYS_ALL):
        raise InputError(f"ZKREVOX_DEV_ACCOUNT must be 0..{len(ANVIL_DEV_KEYS_ALL) - 1} "
                         f"(anvil's dev accounts), got {raw!r}")
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
