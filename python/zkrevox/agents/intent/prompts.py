"""Synthetic training prompts for the intent agent, reproducible from a seed.

A prompt is one to three *clauses*, each expressing one intent (SWAP, TRANSFER,
…), joined the way people chain requests ("… and …", "…, then …"), or a
*negative*: chat, or everyday English built on the intent verbs ("swap seats",
"bridge the gap", "chart a course", "send me the notes"). Slots are filled with
tokens (in and outside the ticker label set, as symbols, names and cashtags),
amounts, chains, recipients (0x addresses, ENS names, handles, people), and the
intent words take one-letter typos and random casing. Labels are the union of
the clauses' intents, in ``LABELS`` order.

Nothing here reads ``models/intent/eval/``: the realistic set is never trained on.
"""

from __future__ import annotations

import random

from zkrevox.agents import LabeledPrompt
from zkrevox.agents.intent.everyday import EverydayPrompts
from zkrevox.agents.intent.labels import LABELS, ordered
from zkrevox.agents.intent.styles import (
    EMOJI,
    EXCHANGES,
    MORE_CLAUSES,
    NUMBER_WORDS,
    PROTOCOLS,
    VOICE_FILLERS,
)

TOKENS = (
    "eth btc usdc usdt dai sol bnb doge pepe shib link matic pol avax arb op uni aave crv ldo cake atom dot "
    "wif bonk inj jup tia sui gmx weth wbtc ada xrp trx ton near apt sei rndr fet grt mkr snx ens floki ondo "
    "ena pendle strk zk blur mog brett"
).split()
TOKEN_NAMES = (
    "ethereum", "bitcoin", "solana", "dogecoin", "chainlink", "polygon", "avalanche", "arbitrum", "optimism",
    "uniswap", "tether", "usd coin", "shiba inu", "pepe coin", "cardano", "ripple", "toncoin", "cosmos",
    "pancakeswap", "lido", "jupiter", "celestia", "ether", "stables", "stablecoins", "that new memecoin",
)
CHAINS = (
    "arbitrum", "arb", "base", "optimism", "op", "polygon", "bsc", "bnb chain", "mainnet", "ethereum", "l1",
    "l2", "zksync", "linea", "scroll", "avalanche", "solana", "gnosis", "blast", "mantle", "starknet", "eth mainnet",
)
PEOPLE = (
    "alice", "bob", "my brother", "my sister", "mom", "dad", "my friend", "jake", "sarah", "the team",
    "my cold wallet", "my ledger", "my other wallet", "my trezor", "the dev", "my landlord",
)
NAMES = ("vitalik", "alice", "bob", "sam", "degen", "mike", "kate", "treasury", "dao", "pay", "jane", "satoshi")
AMOUNTS = (
    "1", "2", "5", "10", "20", "50", "100", "250", "500", "1000", "1k", "5k", "0.1", "0.25", "0.5", "0.05",
    "1.5", "3.2", "$50", "$100", "$1000", "$20", "half my", "all my", "all", "some", "a bit of", "10%", "25%",
)
FIAT = ("usd", "dollars", "euros", "bucks", "usdc", "usdt")

CLAUSES: dict[str, tuple[str, ...]] = {
    "SWAP": (
        "swap {n} {a} to {b}", "swap {n} {a} for {b}", "swap my {a} into {b}", "buy {n} {a}", "buy some {a}",
        "buy {a} with {n} {b}", "sell {n} {a}", "sell all my {a}", "sell {a} for {b}", "trade {n} {a} for {b}",
        "exchange {n} {a} to {b}", "convert {n} {a} into {b}", "ape into {a}", "ape {n} {b} into {a}",
        "aping into {a}", "market buy {n} {a}", "market sell {n} {a}", "limit order: buy {a} at {p}",
        "limit sell {n} {a} at {p}", "place a limit buy for {a} at {p}", "dca {n} {b} into {a} every week",
        "set up a dca into {a}, {n} {b} daily", "dca into {a}", "dump my {a}", "dump {a} for {b}",
        "flip my {a} to {b}", "rotate from {a} to {b}", "purchase {n} {a}", "get me {n} {a}",
        "cash out my {a}", "offload my {a}", "take profit on my {a}", "buy the dip on {a}", "{n} {a} -> {b}",
        "{a} to {b}, {n}", "stop loss on {a} at {p}", "long {a}", "short {a}", "load up on {a}",
        "accumulate {a}", "i want to buy {a}", "can you swap {a} for {b}", "could you sell my {a}",
        "grab me some {a}", "put {n} {b} into {a}", "buy {n} worth of {a}", "sell {a} at market",
        "swap {a} to {b} with {s} slippage", "unload my {a} bags", "i need {a}, use my {b}",
        "buy {n} worth of {a}",
        "buy {s2} worth of {a} with my {b}",
        "sell {n} of my {a} position",
        "close my {a} position",
        "swap half to {b}",
        "sell it all for {b}",
        "market buy {a}, {n}",
        "get some exposure to {a}",
        "swap whatever {a} i have to {b}",
        "exit my {a} position into {b}",
        "buy {a} on {c}",
        "swap {a} for {b} on {c}",
        "use my {b} to buy {a}",
        "switch my {a} to {b}",
        "{a} > {b} {n}",
        "{n} {a} > {b}",
        "{a} into {b} {n}",
        "{n} {a} for {b} pls",
        "{a}->{b}",
    ),
    "TRANSFER": (
        "send {n} {a} to {r}", "send {r} {n} {a}", "transfer {n} {a} to {r}", "pay {r} {n} {a}",
        "pay {n} {a} to {r}", "tip {r} {n} {a}", "tip {n} {a} to {r}", "give {r} {n} {a}",
        "give {n} {a} to {r}", "shoot {n} {a} over to {r}", "venmo {r} {n} {a}", "move {n} {a} to {r}",
        "withdraw my {a} to {r}", "send my {a} to {r}", "transfer all {a} to {r}", "send {r} some {a}",
        "can you send {n} {a} to {r}", "pay the invoice, {n} {a} to {r}", "send it to {r}", "pay {r} back",
        "transfer {n} to {r}", "send {n} bucks in {a} to {r}", "tip the creator {n} {a}",
        "send {r} {n} in {a}",
        "send it over to {r}",
        "send {n} to {r}",
        "tip {r}",
        "send some {a} to {r} for her birthday",
        "pay {r} for dinner, {n} {a}",
        "send {r} {n} {a} on {c}",
        "give {n} {a} to {r}",
        "send {r} {n} {a}, thanks",
        "send the {a} to {r}",
        "tip it to {r}",
    ),
    "BRIDGE": (
        "bridge {n} {a} to {c}", "bridge my {a} from {c} to {d}", "bridge {a} to {c}", "bridge to {c}",
        "move {n} {a} from {c} to {d}", "move my {a} over to {c}", "get my {a} from {c} to {d}",
        "cross-chain {n} {a} to {c}", "cross chain transfer {a} to {c}", "port my {a} to {c}",
        "teleport {n} {a} to {c}", "i need my {a} on {c}", "bring my {a} back to {c}",
        "withdraw from {c} to {d}", "bridge everything on {c} to {d}", "send my {a} from {c} to {d}",
        "move funds from {c} to {d}", "bridge {n} {a} {c} -> {d}", "get {a} onto {c}",
        "i have {n} {a} on {c}, move it to {d}",
        "my {a} is on {c}, get it over to {d}",
        "move it from {c} to {d}",
        "bridge it to {c}",
        "bridge back to {c}",
        "move everything from {c} to {d}",
        "my {a} is stuck on {c}, bring it to {d}",
    ),
    "STAKE": (
        "stake {n} {a}", "stake my {a}", "unstake my {a}", "unstake {n} {a}", "restake my {a}",
        "restake {a} on eigenlayer", "delegate {n} {a} to a validator", "undelegate my {a}",
        "redelegate my {a}", "claim my rewards", "claim my staking rewards", "claim rewards on {a}",
        "harvest my farm", "harvest rewards", "farm {a}", "farm {a} on {c}", "provide liquidity to the {a}/{b} pool",
        "add liquidity {a} {b}", "remove liquidity from my {a} pool", "withdraw my lp", "lend {n} {a}",
        "lend my {a} on aave", "supply {n} {a} as collateral", "deposit {n} {a} into a vault",
        "earn yield on my {a}", "find me the best yield for {a}", "earn interest on my {a}",
        "put my {a} to work", "liquid stake my {a}", "stake {a} with lido", "lock my {a} for rewards",
        "compound my rewards", "passive income with my {a}", "what apy can i get staking {a}",
        "lp my {a} and {b}", "stake {a} in the pool", "delegate my {a}",
        "lock {a} for ve{a}",
        "stake it",
        "stake the rest",
        "restake on {proj}",
        "deposit into {proj}",
        "earn something on my idle {a}",
        "stake it with {proj}",
        "farm points on {proj}",
        "unstake everything",
    ),
    "PRICE": (
        "price of {a}", "{a} price", "{a} price?", "what's {a} at", "what is {a} trading at",
        "how much is {a}", "how much is {n} {a} in {f}", "what is {n} {a} worth", "{a} market cap",
        "market cap of {a}", "mcap of {a}", "fdv of {a}", "volume on {a}", "24h volume of {a}",
        "alert me when {a} hits {p}", "ping me if {a} drops below {p}", "notify me when {a} is above {p}",
        "set a price alert for {a} at {p}", "current price of {a}", "is {a} above {p}", "quote for {a}",
        "how much does one {a} cost", "{a} rn", "what's {a} worth now", "{a} vs {b} price",
        "price check on {a}", "where is {a} trading", "{a} dominance", "is {a} still pegged",
        "${A}", "${A} price", "how much for {n} {a}",
        "give me the {a} price",
        "give me {a} price",
        "what does one {a} cost",
        "what does {n} {a} cost",
        "what's {a} at rn",
        "{a} fdv",
        "whats the fdv of {a}",
        "how much is {a} worth today",
        "what's the market cap of {a}",
        "what's the price of {a}",
        "whats {a} at",
        "give me a quote on {a}",
        "where's {a} at",
        "how's {a} priced",
    ),
    "CHART": (
        "show me the {a} chart", "{a} chart", "chart {a} {t}", "{a} chart {t}", "{a} candles",
        "{a} candles for the last {w}", "pull up the {a}/{b} chart", "graph of {a}", "graph {a} over {w}",
        "plot {a} vs {b}", "plot {a}", "candlestick chart for {a}", "{t} candles on {a}",
        "draw the {a} chart", "visualize {a} price action", "tradingview {a}", "show the {a} graph",
        "chart of {a} volume", "i want to see a chart of {a}", "{a}/{b} chart {t}",
        "give me the {a} chart",
        "{a} chart with volume",
        "draw {a} with volume bars",
        "chart it",
        "show a graph of {g}",
        "plot {g} over the last {w}",
        "chart {g}",
        "give me a {t} chart of {a}",
        "let me see the {a} candles",
        "look at the {a} {t} candles",
    ),
    "PORTFOLIO": (
        "what's my balance", "my balance", "my {a} balance", "how much {a} do i have", "how much {a} do i hold",
        "show my portfolio", "my portfolio", "portfolio value", "what are my holdings", "my holdings",
        "my pnl", "my pnl on {a}", "am i up or down on {a}", "show my transaction history", "my recent txs",
        "list my positions", "my open positions", "what's in my wallet", "check my wallet", "my bags",
        "what did i buy last {w}", "how much have i lost on {a}", "my realized profit on {a}",
        "did my last tx go through", "show my {a} position", "how much is my portfolio", "all my balances",
        "my {a} holdings", "check my {a} balance", "tokens in my wallet", "what do i own",
        "how much do i have in my wallet",
        "what's my wallet worth",
        "how am i doing on {a}",
        "how much have i made on {a}",
        "my {a} pnl since {w}",
        "what do i have on {c}",
        "my balance on {c}",
        "what's my portfolio worth",
        "show my history on {c}",
        "have i lost money on {a}",
        "give me my balance",
        "did my transfer to {r} go through",
        "did my swap go through",
        "status of my last transaction",
        "show my last {n} transactions",
        "what have i got in {a}",
    ),
    "INFO": (
        "why is {a} pumping", "why is {a} dumping", "why did {a} drop", "what is {a}", "what's {a}",
        "tell me about {a}", "explain {a}", "explain {k}", "what is {k}", "news on {a}", "any news on {a}",
        "latest {a} news", "sentiment on {a}", "what's the sentiment on {a}", "who founded {a}",
        "is {a} a scam", "what happened to {a}", "what's going on with {a}", "what does {a} do",
        "difference between {a} and {b}", "what are people saying about {a}", "any announcement from {a}",
        "summarize the news", "what does {k} mean", "how does {k} work", "why is {a} mooning",
        "is {a} legit", "what is the {a} roadmap", "explain {k} like i'm 5", "crypto news today",
        "what is {proj}",
        "what's {proj}",
        "tell me about {proj}",
        "what does {proj} do",
        "is {proj} legit",
        "what's a {k2}",
        "wut is {k}",
        "wat is {k}",
        "explain how {proj} works",
        "why is everyone talking about {proj}",
        "why is {a} up today",
        "what's the news on {proj}",
        "is {proj} safe",
        "why did {a} dump",
        "why is {a} crashing",
        "give me the latest on {a}",
        "give me news on {proj}",
        "why did {a} dump today",
        "what's the story with {proj}",
        "tell me why {a} dropped",
        "tell me why it pumped",
        "why did it drop",
        "any announcement from {proj} today",
        "is there news from {proj}",
    ),
}
CONDITIONAL = (
    "if {a} is under {p} buy {n}", "if {a} drops below {p}, sell my {a}", "when {a} hits {p} sell {n}",
    "if {a} goes above {p} swap it to {b}", "buy {n} {a} if the price dips under {p}",
    "alert me at {p} and buy {n} {a} when it gets there", "sell half my {a} once it's above {p}",
)
PROJECTS = (
    "eigenlayer", "hyperliquid", "pendle", "ethena", "morpho", "jito", "blast", "friend.tech", "pump.fun",
    "berachain", "monad", "celestia", "lido", "uniswap", "aave", "curve", "gmx", "jupiter", "layerzero",
    "polymarket", "farcaster", "zora", "starknet", "the merge", "this protocol", "that airdrop",
)
CONCEPT_NOUNS = (
    "liquidity pool", "rollup", "stablecoin", "validator", "dex", "bridge", "memecoin", "dao", "smart contract",
    "seed phrase", "gas fee", "token unlock", "perp", "vault", "oracle", "nft", "layer 2", "sidechain",
)
GAUGES = ("gas fees", "eth gas", "tvl on base", "my portfolio value", "btc dominance", "funding rates")
CONCEPTS = (
    "restaking", "impermanent loss", "a liquidity pool", "staking", "a rollup", "tvl", "gas", "slippage", "an amm",
    "defi", "a dex", "mev", "bridging", "liquid staking", "a stablecoin", "an airdrop", "the halving", "layer 2",
)
PRICES = ("3k", "2800", "$100", "4000", "0.5", "$20", "1.20", "100k", "150", "$3.20")
TIMEFRAMES = ("1h", "4h", "1d", "15m", "daily", "weekly", "5m", "1w")
WINDOWS = ("week", "month", "30 days", "24h", "year", "3 days")
JOINERS = (" and ", ", then ", " then ", ". also ", "; ", " & ", ", and ", " and then ", ". ", " plus ", ", ")
OPENERS = (
    "hey", "yo", "gm fren", "hi", "ok so", "quick one:", "pls", "can you", "could you", "i want to", "i'd like to",
    "help me", "hey bot,", "ser", "fren,", "alright,", "need to",
)
CLOSERS = ("pls", "please", "asap", "thx", "thanks", "for me", "now", "rn", "!!", "?", "lol", "🚀", "ty", "right now")
# Life context users wrap requests in: carries no intent.
PREAMBLES = (
    "been thinking about it for a while", "my friend told me about this", "long day at work but",
    "not sure if this is smart but", "so markets are crazy today and", "before i forget", "quick question",
    "i'm new to this", "honestly", "ok last thing tonight", "after the news this morning", "since i got paid",
    "sorry for the spam", "just woke up and", "my wife says i'm crazy but",
)
# Everyday English on intent-looking words: no intent.
NEGATIVES = (
    "can we swap desks", "swap seats with me", "let's swap shifts on friday", "swap out the batteries",
    "we should swap recipes", "swap the tires before winter", "we need to bridge our differences first",
    "bridge the gap between teams", "the bridge is closed for repairs", "we crossed the bridge at sunset",
    "bridge over troubled water", "play bridge with grandma", "chart a course for next year",
    "she charted in the top 10", "chart of accounts", "the song topped the charts", "send me the link to the form",
    "send me the slides from today", "send the kids to camp", "send my regards", "send an email to the team",
    "transfer the call to reception", "i need to transfer to another university", "transfer the files to the drive",
    "the stakes are high", "the steak was too salty", "drive a stake into the ground", "he has a stake in the company",
    "pay attention to the road", "pay it forward", "the price of eggs is insane", "that was priceless",
    "my portfolio of design work", "work life balance", "balance the books", "history homework is due",
    "trade in my old phone", "the farm is lovely in spring", "swimming pool is open", "yield to oncoming traffic",
    "lock the door", "file an insurance claim", "security deposit for the flat", "i'm not interested",
    "give me a minute", "give it a try", "tip of the iceberg", "any tips for my interview", "draw a cat",
    "what's the weather today", "tell me a joke", "who made you", "what can you do", "thanks", "hello there",
    "good morning", "ok", "cancel that", "never mind", "lol", "gm fren", "thank you so much",
    "that is not what i meant",
    "hold on", "book a table for two", "remind me to water the plants", "translate this to spanish", "who won the game",
    "what time is it in paris", "my wallet is falling apart", "i lost my keys", "how are you", "help",
    "the moon is bright tonight", "let's go to the beach", "i love pizza", "my cat is sleeping",
    "what's a good movie", "set an alarm for 7", "call me later", "the market was busy this morning",
    "link the pdf in the doc", "share the link with the team", "the link is broken", "send it to me by mail",
    "exchange students are arriving", "currency exchange at the airport", "the sun is going down",
    "mint tea please", "the base of the mountain", "optimism is a virtue", "my sister is visiting",
    "write a poem about the sea", "plan my week", "order a pizza", "buy milk on the way home",
    "sell tickets for the school play", "how much does a puppy cost", "graph paper for my kid",
    "tell me a joke about cats", "tell me a story", "tell me about your day", "what's a good name for a dog",
    "give me a hug", "give me directions to the station", "what is love", "explain this email to me",
    "what does this word mean", "why is the sky blue", "how do i cook rice", "who is the president",
    "worth a shot", "it's not worth it", "my position on this is clear", "the history of rome",
    "i'm up early tomorrow", "my phone is down to 5%", "how much is a taxi to the airport",
    "the lock on the bike is stuck", "we need more volume on the speakers", "a chart topper from the 80s",
    "a token of my thanks", "bus tokens for the kids", "grandpa's old coins", "the mining museum", "ape at the zoo",
    "the apes escaped in the movie", "gas station near me", "the swap meet is on sunday", "bridge club tonight",
    "block the spam calls", "the chain on my bike came off", "the exchange was tense", "stop the car here",
    "short on time today", "long time no see", "buy me a coffee", "sell me on this idea", "send help lol",
)
# Everyday requests and chat built from parts (no intent): jokes and stories, reminders, bookings,
# corrections and goodbyes, everyday senses of the intent words.
NEGATIVE_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tell me a {x} about {y}", ("joke", "story", "fun fact", "riddle", "poem")),
    ("remind me to {x}", ("call my sister", "feed the cat", "buy bread", "take my pills", "email the landlord",
                          "call the dentist", "water the garden", "pick up the kids")),
    ("that's not what i {x}", ("meant", "wanted", "said", "asked for", "was asking")),
    ("ok {x}, that's all", ("thanks", "thank you", "cool", "great", "perfect")),
    ("{x}, that's it for today", ("thanks", "ok", "alright", "cool")),
    ("book a {x}", ("table for four at 7", "flight to rome", "room for tonight", "haircut at 5", "taxi at 9")),
    ("pay attention to {x}", ("the teacher", "the details", "the traffic", "what i say", "the signs")),
    ("transfer the {x}", ("meeting to monday", "ticket to my colleague", "call to support", "photos to my laptop")),
    ("what's at stake {x}", ("here", "in the election", "for the team", "in this match")),
    ("chart a path {x}", ("for my career", "through the woods", "to the summit")),
    ("my {x} portfolio needs work", ("design", "art", "photo", "writing")),
    ("{x} the gap", ("mind", "close", "bridge")),
    ("what do you {x}", ("mean", "think", "recommend for dinner", "like to do")),
)
JOKE_TOPICS = ("cats", "dogs", "space", "pirates", "the ocean", "robots", "football", "my boss", "penguins", "math")
# Ordinary words people wrap around requests ("so honestly i think ..."): no intent by themselves.
CHATTER = (
    "i so and but the it this that really just like honestly maybe today tonight week month since because "
    "think know feel want need guess been have had got was were doing nothing sitting around idle anyway "
    "friend coworker wife husband boss work trip travel birthday first new old time while ago lately "
    "scared excited tired happy sure okay fine cool nice great safe safest best whatever there these days "
    "action everyone people said told finally decided last year ago"
).split()


def typo(word: str, rng: random.Random) -> str:
    """One random edit (drop, swap, double or replace a letter) after the first letter of a 4+ letter word."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word))
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1 and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


class IntentPromptGenerator:
    """Deterministic: the same seed gives the same prompts, in the same order."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.everyday = EverydayPrompts(self.rng)
        self.extra: set[str] = set()  # intents a clause's slot filling added (a chart of "my portfolio value")

    def token(self) -> str:
        rng = self.rng
        text = rng.choice(TOKENS) if rng.random() < 0.75 else rng.choice(TOKEN_NAMES)
        r = rng.random()
        if r < 0.2:
            text = text.upper()
        elif r < 0.27 and " " not in text:
            text = "$" + text.upper()
        return text

    def recipient(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            hexes = "0123456789abcdefABCDEF"
            if rng.random() < 0.25:  # shortened as wallets show it: 0xab12...cd34
                return ("0x" + "".join(rng.choice(hexes) for _ in range(4)) + rng.choice(("...", "…", ".."))
                        + "".join(rng.choice(hexes) for _ in range(4)))
            return "0x" + "".join(rng.choice(hexes) for _ in range(rng.choice((40, 40, 4, 6))))
        if r < 0.36:  # bitcoin (bech32) and solana (base58) addresses
            if rng.random() < 0.5:
                return "bc1q" + "".join(rng.choice("023456789acdefghjklmnpqrstuvwxyz") for _ in range(38))
            return "".join(rng.choice("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz") for _ in range(44))
        if r < 0.55:
            return rng.choice(NAMES) + rng.choice(("", "", "0", "xyz")) + ".eth"
        if r < 0.65:
            return "@" + rng.choice(NAMES) + rng.choice(("", "_", "99"))
        return rng.choice(PEOPLE)

    def clause(self, intent: str) -> str:
        rng = self.rng
        a, b = self.token(), self.token()
        c, d = rng.sample(CHAINS, 2)
        text = rng.choice(CLAUSES[intent] + MORE_CLAUSES[intent])
        g = rng.choice(GAUGES)
        if "{g}" in text and g.startswith("my "):  # a chart of the user's own holdings
            self.extra.add("PORTFOLIO")
        return text.format(
            a=a, b=b, A=a.upper().lstrip("$"), c=c, d=d, n=rng.choice(AMOUNTS), p=rng.choice(PRICES),
            r=self.recipient(), f=rng.choice(FIAT), t=rng.choice(TIMEFRAMES), w=rng.choice(WINDOWS),
            k=rng.choice(CONCEPTS), s=rng.choice(("0.5%", "1%", "3%")), s2=rng.choice(("$100", "$250", "50 usdc")),
            proj=rng.choice(PROJECTS), k2=rng.choice(CONCEPT_NOUNS), g=g, ex=rng.choice(EXCHANGES),
            proto=rng.choice(PROTOCOLS), number=rng.choice(NUMBER_WORDS), s3=rng.choice(("50%", "half", "all")),
        )

    def conditional(self) -> str:
        """A trade on a price condition: SWAP and PRICE in one clause."""
        rng = self.rng
        return rng.choice(CONDITIONAL).format(a=self.token(), b=self.token(), n=rng.choice(AMOUNTS),
                                              p=rng.choice(PRICES))

    def negative(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.5:  # everyday topics (issue 24)
            return self.everyday.prompt()
        if r < 0.8:
            return rng.choice(NEGATIVES)
        template, fills = rng.choice(NEGATIVE_PARTS)
        return template.format(x=rng.choice(fills), y=rng.choice(JOKE_TOPICS))

    def noisy(self, text: str) -> str:
        """Typos in some words, casing, openers, closers, life context."""
        rng = self.rng
        if rng.random() < 0.3:
            text = " ".join(typo(w, rng) if rng.random() < 0.3 else w for w in text.split(" "))
        if rng.random() < 0.2:
            text = f"{rng.choice(OPENERS)} {text}"
        if rng.random() < 0.25:
            text = f"{text} {rng.choice(CLOSERS)}"
        if rng.random() < 0.12:
            text = f"{rng.choice(PREAMBLES)}, {text}"
        r = rng.random()
        if r < 0.08:  # voice-typed: fillers, no punctuation
            words = text.split(" ")
            words.insert(rng.randrange(len(words) + 1), rng.choice(VOICE_FILLERS))
            text = " ".join(w.strip(",.?!") for w in words)
        elif r < 0.16:
            e = rng.choice(EMOJI) * rng.choice((1, 1, 2, 3))
            text = f"{e} {text}" if rng.random() < 0.4 else f"{text} {e}"
        if rng.random() < 0.2:
            chatter = " ".join(rng.choice(CHATTER) for _ in range(rng.randint(3, 14)))
            text = f"{chatter}, {text}" if rng.random() < 0.6 else f"{text}, {chatter}"
        r = rng.random()
        if r < 0.1:
            text = text.upper()
        elif r < 0.25:
            text = text[:1].upper() + text[1:]
        return " ".join(text.split())

    def example(self) -> LabeledPrompt:
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            text = self.negative()
            if rng.random() < 0.25:  # two everyday requests chained are still no intent
                text += rng.choice(JOINERS) + self.negative()
            return LabeledPrompt(self.noisy(text), ())
        k = 1 if r < 0.75 else 2 if r < 0.95 else 3
        intents = rng.sample(LABELS, k)
        self.extra = set()
        clauses = [self.clause(i) for i in intents]
        if "SWAP" in intents and "PRICE" in intents and rng.random() < 0.35:  # a trade on a price condition
            clauses = [c for c, i in zip(clauses, intents, strict=True) if i not in ("SWAP", "PRICE")]
            clauses.insert(rng.randrange(len(clauses) + 1), self.conditional())
        intents = [*intents, *self.extra]
        if rng.random() < 0.1:  # an everyday sentence beside a request does not cancel it
            clauses.insert(rng.randrange(len(clauses) + 1), self.negative())
        text = clauses[0]
        for clause in clauses[1:]:
            text += rng.choice(JOINERS) + clause
        return LabeledPrompt(self.noisy(text), ordered(intents))

    def generate(self, n: int, max_bytes: int = 192) -> list[LabeledPrompt]:
        """``n`` examples whose prompts are 1 to ``max_bytes`` bytes."""
        out: list[LabeledPrompt] = []
        while len(out) < n:
            ex = self.example()
            if 0 < len(ex.prompt.encode()) <= max_bytes:
                out.append(ex)
        return out
