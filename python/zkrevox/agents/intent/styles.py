"""More ways of asking for each intent (issue 24), merged into the generator's clauses.

- bot commands (``/swap 1 eth usdc``, ``!tip @sam 2 usdc``, ``/portfolio``) as Telegram and Discord
  trading bots take them;
- currency pairs (``eth/usdc``, ``doge-usd``): a pair with a price word or alone asks a PRICE, with
  candles a CHART, with a trade verb or an amount a SWAP;
- the conventions the held-out sets raised (README, docs/INTENT.md "Label conventions"): a
  withdrawal to one's own wallet or address is a TRANSFER; wrapping and unwrapping are a SWAP;
  a deposit into a DeFi protocol or pool is STAKE; transaction history (past swaps, what one
  sent) is PORTFOLIO; a contract address, "why is X down", whether a bridge or chain is down
  are INFO;
- voice-typed wording: fillers, amounts in words, no punctuation (``VOICE_FILLERS``, ``NUMBER_WORDS``).
"""

from __future__ import annotations

MORE_CLAUSES: dict[str, tuple[str, ...]] = {
    "SWAP": (
        "/swap {n} {a} {b}", "/swap {a} {b} {n}", "/buy {n} {a}", "/sell {n} {a}", "!buy {n} {a}", "!sell {a}",
        "/buy {a}", "/sell {s3} {a}", "swap {a}/{b}", "{a}/{b} {n}", "buy {a}/{b}", "sell {a}/{b} {n}",
        "market buy {a}/{b}", "wrap {n} eth", "unwrap my weth", "wrap my eth into weth", "unwrap {n} weth to eth",
        "convert my eth to weth", "{a}-{b} swap {n}", "swap {n} {a} -> {b}",
        "exchange my {a} for {b}", "sell my {a} for cash", "sell everything for stables",
        "buy {a} with my {b}", "swap my bags into {a}", "trade my {a} for {b}", "buy {number} {a}",
        "swap {number} dollars of {b} into {a}", "sell {number} {a}",
    ),
    "TRANSFER": (
        "/send {n} {a} {r}", "/send {r} {n} {a}", "!tip {r} {n} {a}", "/tip {r} {n} {a}", "/pay {r} {n} {a}",
        "withdraw {n} {a} to my wallet {r}", "withdraw {n} {a} to my hardware wallet", "withdraw my {a} to my ledger",
        "withdraw {a} from {ex} to {r}", "withdraw my {a} from {ex} to my wallet", "move my {a} to my other address",
        "move my {a} to my cold wallet", "move {n} {a} to my ledger", "get my {a} over to my trezor",
        "send my {a} to my other wallet", "put {n} {a} on my hardware wallet", "send {number} {a} to {r}",
        "send {number} bucks of {a} to {r}", "pay {r} {number} {a}", "move my {a} off {ex} to {r}",
        "transfer {a} to my second wallet", "send {a} from my hot wallet to my cold wallet",
    ),
    "BRIDGE": (
        "/bridge {n} {a} {c} {d}", "/bridge {a} {c}", "/bridge {n} {a} to {c}", "move my {a} from {c} over to {d}",
        "bridge {number} {a} to {c}", "take my {a} from {c} to {d}", "bridge my {a} across to {c}",
    ),
    "STAKE": (
        "/stake {n} {a}", "/unstake {n} {a}", "/unstake all", "/claim", "/farm {a}", "/lend {n} {a}",
        "deposit {n} {a} into {proto}", "deposit my {a} on {proto}", "supply {a} on {proto}",
        "supply {n} {a} to {proto}",
        "add my {a} to the {proto} pool", "put {n} {a} in the {a}/{b} pool", "provide {a} and {b} liquidity",
        "add {a} to the {proto} vault", "lend my {a} out on {proto}", "stake {number} {a}", "unstake all my {a}",
        "withdraw my {a} from the {proto} pool", "withdraw my stake", "pull my {a} out of the vault",
    ),
    "PRICE": (
        "/price {a}", "/price {a} {b}", "!price {a}", "/p {a}", "{a}/{b} price", "{a}-usd", "{a}-usd price",
        "{a}-usd right now", "{a}/usd", "{a}/usdt now", "what's {a}-usd at", "{a}/{b} rate",
        "{a}/{b}?", "how much is {a}-usd", "price {a}/{b}", "what's {a}/{b} trading at", "{a} to usd",
        "what's the price of {a} right now", "how much is one {a} in dollars", "price of {number} {a}",
    ),
    "CHART": (
        "/chart {a}", "/chart {a} {t}", "/chart {a}/{b} {t}", "!chart {a}", "/candles {a} {t}", "{a}/{b} {t} candles",
        "{a}-usd chart", "{a}-usd {t}", "{a}/usdt chart {t}", "chart {a}/{b}", "{a}/{b} graph",
    ),
    "PORTFOLIO": (
        "/balance", "/balances", "/portfolio", "/history", "/pnl", "/positions", "/wallet", "!bal", "/bal {a}",
        "show my past swaps", "my past trades", "list my previous trades", "what did i send last {w}",
        "what did i swap last {w}", "show my transaction history", "my transaction history on {c}",
        "my last {n} transfers", "show what i bought last {w}", "what did i sell yesterday",
        "list my trades this {w}", "my swap history", "how much did i pay in gas last {w}",
        "what fees did i pay on my swaps", "my deposits and withdrawals", "how much is my portfolio down",
        "am i in profit on {a}", "how much {a} is in my wallet", "show my activity", "my recent activity on {c}",
        "where did my {a} go", "when did i last buy {a}",
    ),
    "INFO": (
        "/info {a}", "/news {a}", "/news", "!info {proj}", "/about {a}", "what's the contract address of {a}",
        "contract address for ${A}", "{a} contract address", "ca for ${A}", "what's the ca of {a}",
        "is this the real {a} contract", "contract address of {a} on {c}", "why is {a} down", "why is {a} down today",
        "why is {c} down", "why is {a} down this week", "is {c} down", "is the {c} bridge down",
        "why is {a} so low", "why is {a} dropping", "why is {proj} down", "what happened to {c} today",
        "why are gas fees so high on {c}", "is {proj} down", "who is behind {a}", "when is the {a} unlock",
        "what's the {a} tokenomics", "when airdrop {proj}",
    ),
}
EXCHANGES = ("binance", "coinbase", "kraken", "okx", "bybit", "kucoin", "the exchange", "robinhood")
PROTOCOLS = ("aave", "compound", "curve", "lido", "morpho", "yearn", "pendle", "uniswap", "convex", "spark",
             "kamino", "eigenlayer", "jito", "marinade", "beefy")
NUMBER_WORDS = ("one", "two", "three", "five", "ten", "twenty", "fifty", "a hundred", "two hundred",
                "five hundred", "a thousand", "half a", "point five", "zero point one")
VOICE_FILLERS = ("uh", "um", "like", "okay so", "hey", "so", "yeah", "hmm", "you know", "basically", "alright")
EMOJI = ("🚀", "🙏", "👀", "📈", "📉", "😭", "🔥", "💰", "🤔", "✅", "🥩", "🐸", "❤️", "😂", "🎂", "🌧️", "⚽")
