"""Synthetic training prompts for the ticker classifier.

Prompts are generated from the ticker database with fixed seeds: intents
(swap, price, chart, staking, bridging, news, transfers, alerts, chat) filled
with the label set's symbols, names and aliases in any casing, ``$SYMBOL``
cashtags, typos, tokens outside the label set, and negative prompts of
ordinary English, including words that look like tickers ("send me the link").
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from zkrevox.agents.ticker.tickers import LABELS, TickerDatabase

# {a}, {b}, {c}: token mentions; {n}: an amount.
TEMPLATES_ONE = (
    "swap {n} {a}", "buy {n} {a}", "sell {n} {a}", "buy some {a}", "sell all my {a}",
    "price of {a}", "what is the price of {a}", "{a} price", "how much is {a} worth", "{a} price today?",
    "show me the {a} chart", "{a} chart 4h", "is {a} going up?", "should i buy {a}", "why is {a} dumping",
    "stake {n} {a}", "how do i stake {a}", "unstake my {a}", "what apy for staking {a}",
    "bridge {n} {a} to bsc", "bridge my {a} to zksync", "send {n} {a} to 0xabc", "transfer {n} {a} to my wallet",
    "any news on {a}?", "latest {a} news", "what happened to {a} today", "set an alert when {a} hits {n}",
    "{a} to the moon", "{a} looks bullish", "i think {a} is undervalued", "long {a} with {n}x",
    "short {a}", "deposit {n} {a}", "withdraw {n} {a} from the pool", "lend my {a}", "borrow {n} {a}",
    "how many {a} do i hold", "what's my {a} balance", "market cap of {a}", "is {a} a good investment",
    "add {a} to my watchlist", "remove {a} from watchlist", "{a}", "{a}?", "gm, how is {a} doing",
    "can you check {a} for me", "i want to ape {n} into {a}", "dca into {a} weekly", "{a} ath?",
    "approve {a} spending", "what is {a}", "explain {a} tokenomics", "who created {a}",
    "yield farming with {a}", "provide liquidity for {a}", "tell me about {a}", "{a} staking rewards",
    "convert {n} {a} to usd", "how to buy {a} on binance", "where can i trade {a}", "{n} {a} in usd?",
)
TEMPLATES_TWO = (
    "swap {n} {a} for {b}", "swap {a} to {b}", "trade {n} {a} for {b}", "convert {a} into {b}",
    "exchange my {a} for {b}", "sell {a} and buy {b}", "{a} or {b}, which is better?", "{a} vs {b}",
    "compare {a} and {b}", "buy {a} with {b}", "use {n} {b} to buy {a}", "price of {a} and {b}",
    "{a}/{b} chart", "{a} {b} pair liquidity", "move my {a} into {b}", "sell half my {a} for {b}",
    "swap {n} {a} for {b} on a dex", "is {a} better than {b} for staking",
    "bridge {a} and {b} to base", "how much {b} can i get for {n} {a}", "rotate from {a} to {b}",
    "i hold {a} and {b}, rebalance please", "{a} and {b} news", "set alerts for {a} and {b}",
    "pay {n} {a} with {b}", "lp {a}-{b}", "{n} {a} -> {b}", "{a} > {b}?",
)
TEMPLATES_THREE = (
    "swap {a}, {b} and {c} for usd", "prices of {a}, {b}, {c}", "my portfolio: {a} {b} {c}",
    "split {n} {a} into {b} and {c}", "sell {a} and {b}, buy {c}", "{a} {b} {c} charts please",
    "compare {a}, {b} and {c}", "rebalance into {a}, {b} and {c}",
)
NEGATIVE_SENTENCES = (
    "send me the link to the docs", "here is the link", "click the link below", "the link is broken",
    "i baked a cake for her birthday", "a piece of cake", "chocolate cake recipe", "cake or pie?",
    "what's the weather in singapore", "together we are stronger", "whether or not you agree",
    "the op said it was fine", "op is right", "uni lectures are boring", "i'm at uni today",
    "sand on the beach", "build a sandcastle", "mana potion", "gala dinner tonight", "baseball bat",
    "a bat flew in", "my comp is slow", "compound interest explained", "sol is the sun in spanish",
    "ape escape game", "the graph of the function", "who is the maker of this", "solana beach hotel",
    "hello there", "how are you", "good morning", "thanks a lot", "what time is it", "tell me a joke",
    "what can you do", "help", "who are you", "what's up", "i need some help with my wallet",
    "how do i connect my wallet", "what is gas", "why are fees so high", "how does a dex work",
    "explain impermanent loss", "what is a liquidity pool", "what is defi", "what is an nft",
    "send money to mom", "buy groceries", "sell my old car", "swap seats with me", "price of gold",
    "price of oil today", "show me the chart of apple stock", "stake a tent", "bridge over the river",
    "the news today", "stocks are down", "my favourite color is blue", "set an alarm for 7",
    "buy bitcoin", "price of btc", "sell 2 btc", "cardano price", "avalanche news", "polkadot staking",
    "tron price", "toncoin chart", "litecoin vs bitcoin", "swap btc for ada", "is dot a good buy",
    "ethical investing", "my brother eats a lot", "the unicorn ran away", "lincoln memorial",
    "dogs are cute", "shibboleth", "pepper and salt", "floral design", "injection molding",
    "fetch the ball", "axes and hammers", "imagine that", "batman returns", "yield sign",
    "world cup final", "gallery opening", "manage my calendar", "solid plan", "arbitrary choice",
    "optional field", "lido beach", "curve the line", "compass direction", "sushi for dinner",
    "one inch taller", "grate the cheese", "snacks please", "ensure it works", "flock of birds",
    "daily standup", "polish the floor", "polite request", "maticulous work", "wild animals",
    "the usual", "busy day",
)
NEGATIVE_WORDS = (
    "the a an to for of in on at with from by about into over under after before between my your "
    "his her our their this that these those it is are was were be been do does did have has had "
    "can could will would should may might must please now today tomorrow yesterday quickly maybe "
    "send buy sell swap trade get give show tell find check make take move bridge stake price chart "
    "money cash dollars euros wallet account bank card fee fees gas network chain token coin coins "
    "crypto market trend news update report alert limit order stop loss profit gain high low up down "
    "weather city beach house car dog cat food lunch dinner friend family work school music movie "
    "game book time day week month year morning night help thanks hello hi hey ok yes no why how what "
    "when where who which big small new old good bad best worst fast slow cheap expensive half all "
    "some any more less much many few first last next pool farm vault yield apy apr liquidity lp "
    "balance portfolio holdings watchlist support resistance pump dump moon bullish bearish hodl "
    "whale airdrop mint burn supply cap volume exchange dex cex binance coinbase kraken metamask "
    "ledger bitcoin btc cardano ada polkadot dot avalanche avax tron trx ton litecoin ltc cosmos atom "
    "near aptos sui tezos stellar monero dash zcash"
).split()
# Words that name a ticker in crypto talk and mean something else in everyday English, each
# with everyday contexts ({w} is the word). Negatives: the model must read the context.
CONFUSABLES: dict[str, tuple[str, ...]] = {
    "link": ("send me the {w} to the docs", "click the {w} below", "the {w} is broken", "{w} my phone to the car",
             "share the {w} with the team", "the missing {w}", "{w} in bio", "can you {w} the article"),
    "cake": ("bake a {w} for the party", "birthday {w} ideas", "that was a piece of {w}", "cheese{w} recipe",
             "{w} or cookies for dessert", "she made a carrot {w}"),
    "op": ("the {w} said it was fixed", "nice post {w}", "{w} is right about this thread", "{w} here, thanks all",
           "what did the {w} mean"),
    "uni": ("i'm going to {w} next year", "{w} lectures are boring", "my {w} friends are visiting",
            "{w} exams start monday"),
    "sand": ("{w} on the beach", "kids playing in the {w}", "buy a bag of {w} for the garden"),
    "sandbox": ("test it in a {w} first", "a {w} environment for the api", "the kids {w} in the yard"),
    "bat": ("grab a {w} for cricket", "a {w} flew into the attic", "baseball {w} price at the store"),
    "ape": ("an {w} at the zoo", "the {w} exhibit was closed", "planet of the {w}s"),
    "comp": ("my {w} is so slow", "{w} sci homework", "workers {w} claim form"),
    "sol": ("el {w} means the sun", "{w} y sombra", "{w} is the note after fa"),
    "gala": ("the charity {w} is tonight", "{w} apples are sweet", "dress code for the {w} dinner"),
    "mana": ("out of {w} in the game", "drink a {w} potion", "{w} regen build"),
    "graph": ("the {w} on slide 3 is wrong", "draw a bar {w}", "{w} theory homework", "plot a {w} of sales"),
    "maker": ("my coffee {w} broke", "who is the {w} of this song", "decision {w} in the team", "ice {w} repair"),
    "makers": ("how do market {w} make money", "the {w} of this film"),
    "curve": ("the learning {w} is steep", "bell {w} grading", "a {w} ball in baseball"),
    "compound": ("{w} interest explained", "a chemical {w}", "the embassy {w}"),
    "sushi": ("{w} for dinner tonight", "best {w} restaurant nearby"),
    "yearn": ("i {w} for the summer", "they {w} to travel"),
    "ripple": ("the {w} effect of rate hikes", "a {w} in the pond"),
    "immutable": ("is the contract {w} once deployed", "{w} objects in python", "make the variable {w}"),
    "optimism": ("cautious {w} in the market", "full of {w} today"),
    "polygon": ("draw a {w} with six sides", "the {w} count of the 3d model"),
    "floki": ("my dog {w} ate my homework", "{w} is a good boy"),
    "shiba": ("a {w} puppy for adoption", "{w} dogs shed a lot"),
    "pepe": ("my uncle {w} called",),
    "ether": ("it vanished into the {w}", "diethyl {w} in the lab"),
    "fetch": ("{w} the ball", "{w} data from the api"),
    "arb": ("{w} opportunity between two stores", "{w} in the ticket market"),
    "pol": ("{w} sci exam tomorrow", "a {w} party speech"),
    "basic": ("{w} cooking skills", "the {w} plan is enough"),
    "world": ("the {w} cup final", "around the {w} in 80 days"),
}
AMOUNTS = ("1", "2", "0.5", "10", "100", "1k", "250", "3.75", "$50", "$1000", "5%", "half", "all", "a few", "20")
FILLERS = ("", "", "", "pls", "please", "now", "asap", "!!", "?", "thx", "right now", "for me", "quickly", "🚀", "lol")


# The tokens most requests trade against: real prompts name them far more often than the rest,
# beside every other name (a label drawn uniformly would pair ETH with a given name 1 time in 41).
COMMON = ("ETH", "USDC", "USDT", "BNB", "DAI", "SOL")


@dataclass(frozen=True)
class Example:
    prompt: str
    tickers: tuple[str, ...]


def typo(word: str, rng: random.Random) -> str:
    """One random edit inside a word of 4+ letters: drop, swap, double or replace a letter in a
    word of 5+ letters, double one in a word of 4. The featurizer matches words of 5+ letters
    within one edit (and a 4-letter word with one letter added); a typo it cannot read would be a
    ticker label on noise."""
    letters = [i for i, c in enumerate(word) if c.isalpha()]
    if len(letters) < 4:
        return word
    i = rng.choice(letters[1:])
    op = rng.randrange(4) if len(letters) >= 5 else 2
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1 and i + 1 < len(word):
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


def casing(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.55:
        return text.lower()
    if r < 0.8:
        return text.upper()
    if r < 0.95:
        return text.title()
    return "".join(c.upper() if rng.random() < 0.5 else c for c in text)


class PromptGenerator:
    """Deterministic prompt generator over a ticker database."""

    def __init__(self, db: TickerDatabase, seed: int) -> None:
        self.db = db
        self.rng = random.Random(seed)
        self.forms = {s: db.surface_forms(s) for s in LABELS}
        # sorted: set order depends on PYTHONHASHSEED, and training must be reproducible
        self.other_forms = [
            f for t in db.others() for f in sorted({t.symbol.lower(), t.name.lower()}) if f and len(f) > 1
        ]

    def mention(self, symbol: str) -> str:
        rng = self.rng
        if rng.random() < 0.5:
            text = symbol
        else:
            text = rng.choice(self.forms[symbol])
        if rng.random() < 0.12:
            text = " ".join(typo(w, rng) for w in text.split())
        text = casing(text, rng)
        if " " not in text and rng.random() < 0.12:
            text = "$" + text
        return text

    def pick(self, k: int) -> list[str]:
        """``k`` distinct labels, uniformly, except that 3 times in 10 one of them is a COMMON one."""
        rng = self.rng
        symbols = rng.sample(LABELS, k)
        if rng.random() < 0.3:
            common = rng.choice(COMMON)
            if common not in symbols:
                symbols[rng.randrange(k)] = common
        return symbols

    def other_mention(self) -> str:
        return casing(self.rng.choice(self.other_forms), self.rng)

    def labelled(self, k: int) -> Example:
        rng = self.rng
        symbols = self.pick(k)
        slots = [self.mention(s) for s in symbols]
        # Sometimes one slot is a token outside the label set.
        if k >= 2 and rng.random() < 0.2:
            j = rng.randrange(k)
            slots[j] = self.other_mention()
            symbols = [s for i, s in enumerate(symbols) if i != j]
        templates = (TEMPLATES_ONE, TEMPLATES_TWO, TEMPLATES_THREE)[k - 1]
        text = rng.choice(templates).format(
            a=slots[0], b=slots[1] if k > 1 else "", c=slots[2] if k > 2 else "", n=rng.choice(AMOUNTS)
        )
        return Example(self.decorate(text), tuple(sorted(set(symbols), key=LABELS.index)))

    def unlabelled(self) -> Example:
        rng = self.rng
        r = rng.random()
        if r < 0.2:
            word = rng.choice(sorted(CONFUSABLES))
            text = rng.choice(CONFUSABLES[word]).format(w=word)
        elif r < 0.35:
            text = rng.choice(NEGATIVE_SENTENCES)
        elif r < 0.65:
            text = " ".join(rng.choice(NEGATIVE_WORDS) for _ in range(rng.randint(2, 10)))
        else:
            text = rng.choice(TEMPLATES_ONE + TEMPLATES_TWO).format(
                a=self.other_mention(), b=self.other_mention(), c="", n=rng.choice(AMOUNTS)
            )
        return Example(self.decorate(casing(text, rng) if rng.random() < 0.2 else text), ())

    def decorate(self, text: str) -> str:
        rng = self.rng
        filler = rng.choice(FILLERS)
        if filler:
            text = f"{text} {filler}" if rng.random() < 0.7 else f"{filler} {text}"
        if rng.random() < 0.15:
            text = f"{rng.choice(('hey', 'yo', 'gm', 'hi', 'ok so', 'quick one:'))} {text}"
        if rng.random() < 0.35:
            # Real prompts carry chatter around the request: ordinary words before or after.
            chatter = " ".join(rng.choice(NEGATIVE_WORDS) for _ in range(rng.randint(2, 9)))
            text = f"{text}. {chatter}" if rng.random() < 0.6 else f"{chatter}, {text}"
        return " ".join(text.split())

    def example(self) -> Example:
        r = self.rng.random()
        if r < 0.28:
            return self.unlabelled()
        if r < 0.68:
            return self.labelled(1)
        if r < 0.93:
            return self.labelled(2)
        return self.labelled(3)

    def generate(self, n: int, max_bytes: int) -> list[Example]:
        out: list[Example] = []
        while len(out) < n:
            ex = self.example()
            if 0 < len(ex.prompt.encode()) <= max_bytes:
                out.append(ex)
        return out
