"""The ticker database: built from the Uniswap default token list plus native coins.

The token list (npm package ``@uniswap/default-token-list``, GPL-3.0-or-later
data) is not committed: ``make setup`` installs the pinned package under
``node_modules/`` and this module reads it at build time. See README, "Data".
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from zkrevox.errors import ArtifactError

TOKEN_LIST_PACKAGE = "@uniswap/default-token-list"
TOKEN_LIST_FILE = "build/uniswap-default.tokenlist.json"

# The model's label set, in output order. Changing it changes the model.
LABELS: tuple[str, ...] = tuple(
    "BNB ETH WETH WBTC USDT USDC DAI BUSD CAKE UNI LINK AAVE MATIC POL SHIB PEPE DOGE SOL ARB OP "
    "LDO CRV COMP SUSHI 1INCH APE GRT MKR SNX ENS FLOKI INJ FET AXS SAND MANA GALA IMX BAT YFI WLD "
    "XRP".split()
)

NATIVE_COINS = (
    {"symbol": "BNB", "name": "BNB", "chainId": 56, "address": None, "decimals": 18},
    {"symbol": "ETH", "name": "Ether", "chainId": 1, "address": None, "decimals": 18},
)

# Names users say for a label beyond its symbol and token-list name. Lower case.
ALIASES: dict[str, tuple[str, ...]] = {
    "BNB": ("binance coin", "bnb coin"),
    "ETH": ("ether", "ethereum", "eth coin"),
    "WETH": ("wrapped ether", "wrapped eth", "wrapped ethereum"),
    "WBTC": ("wrapped bitcoin", "wrapped btc"),
    "USDT": ("tether", "tether usd"),
    "USDC": ("usd coin", "usdcoin", "circle usd"),
    "DAI": ("dai stablecoin",),
    "BUSD": ("binance usd",),
    "CAKE": ("pancakeswap", "pancake swap", "pancake token"),
    "UNI": ("uniswap", "uniswap token"),
    "LINK": ("chainlink", "chain link"),
    "AAVE": ("aave token",),
    "MATIC": ("polygon", "matic network", "polygon matic"),
    "POL": ("polygon ecosystem token", "pol token"),
    "SHIB": ("shiba inu", "shiba", "shib inu"),
    "PEPE": ("pepe coin", "pepecoin"),
    "DOGE": ("dogecoin", "doge coin"),
    "SOL": ("solana",),
    "ARB": ("arbitrum",),
    "OP": ("optimism",),
    "LDO": ("lido dao", "lido"),
    "CRV": ("curve", "curve dao", "curve dao token"),
    "COMP": ("compound", "compound token"),
    "SUSHI": ("sushiswap", "sushi swap"),
    "1INCH": ("1inch network", "one inch"),
    "APE": ("apecoin", "ape coin"),
    "GRT": ("the graph", "graph token"),
    "MKR": ("maker", "makerdao"),
    "SNX": ("synthetix", "synthetix network token"),
    "ENS": ("ethereum name service",),
    "FLOKI": ("floki inu",),
    "INJ": ("injective", "injective protocol"),
    "FET": ("fetch ai", "fetch.ai", "fetchai"),
    "AXS": ("axie infinity", "axie"),
    "SAND": ("the sandbox", "sandbox"),
    "MANA": ("decentraland",),
    "GALA": ("gala games",),
    "IMX": ("immutable x", "immutable", "immutablex"),
    "BAT": ("basic attention token", "basic attention"),
    "YFI": ("yearn finance", "yearn"),
    "WLD": ("worldcoin", "world coin"),
    "XRP": ("ripple",),
}


@dataclass(frozen=True)
class Token:
    symbol: str
    name: str
    chain_ids: tuple[int, ...]
    addresses: tuple[str, ...]
    decimals: int
    aliases: tuple[str, ...] = ()


@dataclass
class TickerDatabase:
    """Every token symbol in the list, with the label set's aliases."""

    tokens: dict[str, Token] = field(default_factory=dict)
    source: str = ""
    source_version: str = ""

    @property
    def labels(self) -> tuple[str, ...]:
        return LABELS

    def surface_forms(self, symbol: str) -> list[str]:
        """Ways a user may name ``symbol``: the symbol, its list name, its aliases."""
        tok = self.tokens[symbol]
        forms = {tok.symbol.lower(), tok.name.lower(), *tok.aliases}
        return sorted(f for f in forms if f)

    def others(self) -> list[Token]:
        """Tokens outside the label set (negatives for training)."""
        return [t for s, t in sorted(self.tokens.items()) if s not in LABELS]


def find_token_list(root: Path | None = None) -> Path:
    env = os.environ.get("ZKREVOX_TOKEN_LIST")
    if env:
        path = Path(env)
    else:
        base = root or Path(__file__).resolve().parents[4]
        path = base / "node_modules" / TOKEN_LIST_PACKAGE / TOKEN_LIST_FILE
    if not path.is_file():
        raise ArtifactError(
            f"token list not found at {path}; run `make setup` (installs the pinned npm package "
            f"{TOKEN_LIST_PACKAGE}) or set ZKREVOX_TOKEN_LIST to the JSON file"
        )
    return path


def load_database(path: Path | None = None) -> TickerDatabase:
    path = path or find_token_list()
    raw = json.loads(path.read_text())
    version = raw.get("version", {})
    grouped: dict[str, list[dict]] = {}
    for entry in [*raw["tokens"], *NATIVE_COINS]:
        grouped.setdefault(entry["symbol"].upper(), []).append(entry)
    db = TickerDatabase(
        source=TOKEN_LIST_PACKAGE,
        source_version=f"{version.get('major')}.{version.get('minor')}.{version.get('patch')}",
    )
    for symbol, entries in grouped.items():
        names = sorted({e["name"].strip() for e in entries}, key=lambda n: (len(n), n))
        db.tokens[symbol] = Token(
            symbol=symbol,
            name=names[0],
            chain_ids=tuple(sorted({int(e["chainId"]) for e in entries})),
            addresses=tuple(sorted({e["address"] for e in entries if e.get("address")})),
            decimals=int(entries[0]["decimals"]),
            aliases=ALIASES.get(symbol, ()),
        )
    missing = [s for s in LABELS if s not in db.tokens]
    if missing:
        raise ArtifactError(f"token list {path} lacks labels {missing}; is the pinned version installed?")
    return db
