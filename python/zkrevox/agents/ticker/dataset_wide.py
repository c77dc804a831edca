"""Training prompts in the styles and kinds the outside held-out sets raised (issue 24), seeded.

On top of ``HardPromptGenerator``, ``WidePromptGenerator`` mixes in, in proportion ``wide``:

- *everyday*: sentences from cooking, travel, sport, school, work, health, DIY and family in which
  a name word has its ordinary sense (a cricket bat, a coffee maker, a bar graph, compound
  interest, a bonding curve, optimism bias, back at uni, the sandbox at the park, tether the
  tent), alone (no ticker) or beside a real request (the request's tickers);
- *bot*: trading-bot commands (``/swap 1 eth usdc``, ``!buy 200 shib``, ``/price link matic``);
- *pair*: currency pairs (``doge-usd``, ``eth/usdc``, ``btc-usdt``): each side that is a label is
  in the answer; ``usd`` and tokens outside the label set are not;
- *stables*: USDC and USDT by their names beside each other (``usd coin or tether``);
- *wrap*: wrapping and unwrapping name both sides (``wrapped ether to ether`` → ETH, WETH);
- *exchange*: Binance the exchange is not BNB (``withdraw from binance``); ``bnb``, ``bnb chain``
  and ``binance coin`` are;
- *typo*: one-letter typos in a name word of 5+ letters, including the words with a slot of their
  own (``polygom``, ``optimsm``), which the featurizer reads within one edit.

Every prompt passes through ``style``: shouting, emoji, voice-typed fillers. Nothing here reads
``models/ticker/eval/``.
"""

from __future__ import annotations

from zkrevox.agents.ticker.dataset import AMOUNTS, Example, casing, typo
from zkrevox.agents.ticker.dataset_hard import HardPromptGenerator
from zkrevox.agents.ticker.tickers import LABELS, TickerDatabase

# Ordinary-sense uses of name words, by topic: {w} is not filled; the words are written in.
EVERYDAY = (
    # cooking
    "the coffee maker needs descaling", "bread maker recipe for rye", "pasta maker or rolling pin",
    "sushi rice needs vinegar", "a slice of cake with tea", "cake pops for the school fair", "link sausages for bbq",
    "a pinch of salt, an inch of ginger", "compound butter with garlic",
    # travel
    "back at uni after the summer trip", "tether the kayak to the dock", "the ferry link to the island",
    "around the world in two weeks", "a world map for the wall", "optimism before a long flight",
    "immutable rules of the airline lounge", "the gala at the hotel ballroom", "sand in the rental car again",
    # sport
    "new cricket bat for the season", "a bat and two balls for practice", "curve ball practice at noon",
    "the world cup qualifiers", "ape-like strength at the gym lol", "sandbox volleyball on saturday",
    "a polygon-shaped running track", "optimism in the locker room",
    # school
    "graph the function for homework", "a bar graph of the survey", "the bonding curve in chemistry class",
    "compound interest worksheet", "chemical compound names quiz", "optimism bias in psychology class",
    "area of a polygon worksheet", "the learning curve of calculus", "uni application deadline",
    "back to uni on monday", "my uni dorm is cold", "link the sources in the essay", "basic attention span study",
    "ripple tank experiment in physics", "fetch the data for the lab", "immutable variables in java class",
    "the ether theory in old physics",
    # work
    "the decision maker is on holiday", "a sandbox account for the demo", "test it in the sandbox first",
    "the market makers desk", "link the ticket in jira", "the graph in the quarterly deck",
    "the apes in the documentary",
    "compound the savings each month", "optimism about the merger", "the world of logistics",
    # health
    "the learning curve of running", "a bat bite needs a shot", "optimism helps recovery", "ripple of pain in my back",
    # DIY
    "curve the edges of the shelf", "sand the table before painting", "a bag of sand for the patio",
    "the sandbox in the backyard", "link the lights to the switch", "the chain link fence is rusty",
    "tether the tomato plants", "a wall polygon in the cad file",
    # family
    "the kids love the sandbox", "a bat flew into the attic", "grandpa's pipe maker shop",
    "my dog floki chewed the couch", "sol and luna are the twins' names", "uncle pepe visits on sunday",
    "a piece of cake, said mom", "the apes at the zoo", "pol sci homework with my son", "gala apples for the kids",
    "the ripple effect of a new baby",
)
# A name word in its ordinary sense beside a real name: {a} is the only ticker.
BESIDE = ("ape into {a}", "aping into {a} again", "optimism bias made me buy {a}", "back at uni, should i buy {a}",
          "compound my gains with {a}", "the bat signal for {a} holders", "a piece of cake to buy {a}",
          "link me the {a} docs", "{a} on a bonding curve launchpad", "curve ball from {a} today",
          "the maker of the {a} meme", "the graph of {a} is wild", "sandbox test of the {a} bot",
          "immutable contract for {a}", "optimism is high on {a}", "world news moved {a}")
# Everyday sentences with a crypto-looking verb but no token at all.
NO_TOKEN = (
    "withdraw cash from the bank", "the exchange rate at the airport", "bridge the gap in the fence",
    "stake the fence posts", "swap the tires", "send the slides", "buy milk", "sell the old bike",
    "price of concert tickets", "chart the baby's sleep", "convert cups to grams", "pool party on saturday",
)
BOT = (
    ("/swap {n} {a} {b}", 2), ("/swap {a} {b}", 2), ("/buy {n} {a}", 1), ("/sell {n} {a}", 1), ("!buy {n} {a}", 1),
    ("!sell {a}", 1), ("/price {a}", 1), ("/price {a} {b}", 2), ("/p {a}", 1), ("/chart {a} 4h", 1),
    ("/chart {a} 1d", 1), ("/send {n} {a} 0x3f...9c", 1), ("/tip @sam {n} {a}", 1), ("/stake {n} {a}", 1),
    ("/bridge {a} {b}", 2), ("/info {a}", 1), ("/alert {a} {n}", 1), ("!price {a}", 1), ("/news {a}", 1),
)
PAIR_SEPS = ("/", "-", "/", "-", " / ", "")
QUOTES_OUTSIDE = ("usd", "btc", "eur", "usd", "btc", "gbp")
PAIR_TEMPLATES = ("{p}", "{p} price", "{p} chart", "{p} 4h", "buy {p}", "sell {p} {n}", "{p} now", "{p}?",
                  "swap {p}", "long {p}", "what's {p} at", "{p} candles", "short {p} at {n}")
STABLES = (
    "usd coin or tether for savings?", "{u} vs {t}", "send {t} and {u} to mom", "{u}, {t} or dai",
    "swap {t} to {u}", "is {u} safer than {t}", "pay the freelancer in {u} or {t}", "{t} and {u} both depegged?",
    "convert {n} {t} into {u}", "i hold {u} and {t}", "{t}/{u} pool", "which is bigger, {t} or {u}",
)
USDC_NAMES = ("usd coin", "usdc", "usd coin", "circle usd", "usdcoin")
USDT_NAMES = ("tether", "usdt", "tether", "tether usd")
WRAP = (
    ("{w} to {e}", ("ETH", "WETH")), ("{w} back to {e}", ("ETH", "WETH")), ("unwrap {w} into {e}", ("ETH", "WETH")),
    ("wrap {e} into {w}", ("ETH", "WETH")), ("{e} or {w} for the pool", ("ETH", "WETH")),
    ("swap {n} {w} for {e}", ("ETH", "WETH")), ("is {w} the same as {e}", ("ETH", "WETH")),
    ("wrapped bitcoin vs bitcoin", ("WBTC",)), ("wbtc back to btc", ("WBTC",)),
)
WETH_NAMES = ("wrapped ether", "weth", "wrapped eth", "wrapped ethereum")
ETH_NAMES = ("ether", "eth", "ethereum", "ether")
EXCHANGE = (
    ("withdraw from binance", ()), ("withdraw my {a} from binance", "a"), ("binance support is slow", ()),
    ("is binance down", ()), ("deposit {a} on binance", "a"), ("binance or coinbase for fiat", ()),
    ("kyc on binance", ()), ("binance listed {a}", "a"), ("move {a} off binance", "a"),
    ("bnb chain gas fees", ("BNB",)), ("bridge {a} to bnb chain", ("a", "BNB")), ("binance coin price", ("BNB",)),
    ("buy bnb on binance", ("BNB",)), ("pay fees in bnb", ("BNB",)), ("bnb smart chain tvl", ("BNB",)),
    ("send {a} on bnb chain", ("a", "BNB")), ("binance fees vs kraken", ()),
)
TYPO_WORDS = {"polygon": "MATIC", "optimism": "OP", "ethereum": "ETH", "chainlink": "LINK", "solana": "SOL",
              "arbitrum": "ARB", "uniswap": "UNI", "dogecoin": "DOGE", "tether": "USDT", "pancakeswap": "CAKE",
              "injective": "INJ", "decentraland": "MANA", "worldcoin": "WLD", "ripple": "XRP", "sushiswap": "SUSHI",
              "synthetix": "SNX", "apecoin": "APE", "makerdao": "MKR", "yearn": "YFI", "floki": "FLOKI"}
TYPO_TEMPLATES = ("the {w} network is slow", "{w} price", "buy some {w}", "{w} news today", "is {w} down",
                  "stake my {w}", "{w} vs {b}", "bridge to {w}", "how is {w} doing")
EMOJI = ("🚀", "🙏", "👀", "📈", "📉", "😭", "🔥", "💰", "🤔", "✅", "🐸", "🐶", "❤️", "😂", "🎂", "🦇", "🍰")
VOICE = ("uh", "um", "like", "okay so", "hey", "yeah", "you know", "so")


class WidePromptGenerator(HardPromptGenerator):
    """``HardPromptGenerator`` plus the kinds above, in proportion ``wide`` of the prompts."""

    def __init__(self, db: TickerDatabase, seed: int, hard: float = 0.5, wide: float = 0.3) -> None:
        super().__init__(db, seed, hard)
        self.wide = wide

    def style(self, text: str) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.1:
            text = text.upper()
        elif r < 0.2:
            e = rng.choice(EMOJI) * rng.choice((1, 1, 2))
            text = f"{e} {text}" if rng.random() < 0.5 else f"{text} {e}"
        elif r < 0.27:
            words = text.split()
            words.insert(rng.randrange(len(words) + 1), rng.choice(VOICE))
            text = " ".join(w.strip(",.?!") or w for w in words)
        return self.decorate(text) if rng.random() < 0.5 else text

    def everyday(self) -> Example:
        rng = self.rng
        if rng.random() < 0.2:
            symbol = self.pick(1)[0]
            return Example(self.style(rng.choice(BESIDE).format(a=self.mention(symbol))), (symbol,))
        text = rng.choice(EVERYDAY) if rng.random() < 0.8 else rng.choice(NO_TOKEN)
        if rng.random() < 0.4:
            req, symbols = self._request()
            joiner = rng.choice((", then ", ". also ", " and ", ". btw ", "; "))
            text = f"{text}{joiner}{req}" if rng.random() < 0.6 else f"{req}{joiner}{text}"
            return Example(self.style(text), self._labels(symbols))
        return Example(self.style(text), ())

    def bot(self) -> Example:
        rng = self.rng
        template, k = rng.choice(BOT)
        symbols = self.pick(2)[:k]
        a = symbols[0].lower() if rng.random() < 0.7 else self.mention(symbols[0])
        b = symbols[-1].lower() if rng.random() < 0.7 else self.mention(symbols[-1])
        if k == 2 and rng.random() < 0.15:  # one side outside the label set
            b, symbols = self.other_mention(), symbols[:1]
        return Example(self.style(template.format(a=a, b=b, n=rng.choice(AMOUNTS))), self._labels(symbols))

    def pair(self) -> Example:
        rng = self.rng
        symbols = self.pick(2)
        sides = [casing(s, rng) for s in symbols]
        used = list(symbols)
        if rng.random() < 0.45:
            sides[1] = casing(rng.choice(QUOTES_OUTSIDE), rng)
            used = used[:1]
        sep = rng.choice(PAIR_SEPS)
        text = rng.choice(PAIR_TEMPLATES).format(p=sides[0] + sep + sides[1], n=rng.choice(AMOUNTS))
        return Example(self.style(text), self._labels(used))

    def stables(self) -> Example:
        rng = self.rng
        text = rng.choice(STABLES).format(u=rng.choice(USDC_NAMES), t=rng.choice(USDT_NAMES), n=rng.choice(AMOUNTS))
        return Example(self.style(text), ("USDT", "USDC") if "dai" not in text else ("USDT", "USDC", "DAI"))

    def wrap(self) -> Example:
        rng = self.rng
        template, labels = rng.choice(WRAP)
        text = template.format(w=rng.choice(WETH_NAMES), e=rng.choice(ETH_NAMES), n=rng.choice(AMOUNTS))
        return Example(self.style(text), self._labels(labels))

    def exchange(self) -> Example:
        rng = self.rng
        template, labels = rng.choice(EXCHANGE)
        symbol = rng.choice([s for s in LABELS if s != "BNB"])
        text = template.format(a=self.mention(symbol))
        return Example(self.style(text), self._labels([symbol if x == "a" else x for x in labels]))

    def typo_name(self) -> Example:
        rng = self.rng
        word = rng.choice(sorted(TYPO_WORDS))
        other = next(s for s in self.pick(2) if s != TYPO_WORDS[word])
        template = rng.choice(TYPO_TEMPLATES)
        text = template.format(w=typo(word, rng), b=self.mention(other))
        used = [TYPO_WORDS[word]] + ([other] if "{b}" in template else [])
        return Example(self.style(text), self._labels(used))

    def example(self) -> Example:
        rng = self.rng
        if rng.random() >= self.wide:
            return super().example()
        r = rng.random()
        kinds = ((0.34, self.everyday), (0.48, self.bot), (0.62, self.pair), (0.72, self.stables),
                 (0.8, self.wrap), (0.9, self.exchange), (1.0, self.typo_name))
        return next(kind for edge, kind in kinds if r < edge)()
