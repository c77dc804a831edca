"""Training prompts for the kinds the first ticker model got wrong (issue 13), generated, seeded.

On top of ``dataset.PromptGenerator``'s clear requests, ``HardPromptGenerator`` mixes in:

- *ordinary*: a ticker's name used as an ordinary word (food, events, prose, school, games), alone
  or beside a real request (labels: the request's tickers only);
- *both*: the same word in its ordinary and its crypto sense in one prompt;
- *names*: multi-word names and aliases beside other names (``usd coin`` next to ``tether``), and
  names in news-style prompts with no trade word (``did ripple settle with the sec``);
- *sense*: a name that is also an ordinary word in its crypto sense (``swap 1 ether to dai``);
- *steps*: two or three requests in one prompt, some on a named project;
- *long*: four to six tickers in one chatty prompt;
- *ens*: ENS names (``kim.eth``) that are not ETH;
- *projects*: a protocol or network named as such maps to its token (``on uniswap`` → UNI), with or
  without a token beside it (``fees on ethereum mainnet``).

Everything is drawn from fixed word lists with ``random.Random(seed)``; the hand-written held-out
set (``models/ticker/eval/hard.jsonl``) is never read here.
"""

from __future__ import annotations

from zkrevox.agents.ticker.dataset import (
    AMOUNTS,
    NEGATIVE_WORDS,
    TEMPLATES_ONE,
    TEMPLATES_TWO,
    Example,
    PromptGenerator,
    casing,
)
from zkrevox.agents.ticker.tickers import LABELS, TickerDatabase

# {w}: the word in its everyday sense. Label: none.
ORDINARY: dict[str, tuple[str, ...]] = {
    "sushi": ("{w} for lunch", "ordered {w} again", "{w} place downtown", "the {w} was great",
              "{w} night with the team", "craving {w} and ramen", "homemade {w} rolls", "we ate {w} yesterday"),
    "cake": ("a {w} for my mom", "{w} for dessert", "it's a piece of {w}", "{w} and coffee after work",
             "baking a {w} tomorrow", "wedding {w} tasting", "cup{w} recipe", "the {w} is in the oven"),
    "gala": ("the {w} was fun", "charity {w} on saturday", "{w} dinner dress code", "school {w} tickets",
             "went to a {w} last night", "the museum {w}"),
    "op": ("{w}-ed in the times", "the {w}-ed was biased", "the {w} of this post", "{w} deleted the thread",
           "as {w} said above", "reply to the {w}"),
    "graph": ("a {w} of my spending", "{w} paper for school", "this {w} looks off", "line {w} of the data",
              "draw the {w} again", "bar {w} in the slide", "{w} theory class", "the {w} on page 2"),
    "compound": ("{w} interest on savings", "{w} growth over ten years", "{w} annual return", "a {w} word",
                 "{w} effect of habits", "the chemical {w}"),
    "comp": ("{w} sci class", "{w} time off", "my {w} crashed", "workers {w} forms"),
    "maker": ("market {w}s on a dex", "be a {w} not a taker", "coffee {w}", "the {w} of the bot", "a {w} faire",
              "market {w} rebates"),
    "uni": ("{w} friends", "back at {w} monday", "my {w} exams", "{w} fees are due", "left {w} last year",
            "{w} student discount", "the {w} library"),
    "arb": ("an {w} between two exchanges", "{w} bots front running", "{w} opportunity on prices", "{w} spreadsheet",
            "doing {w} between markets", "{w} trade between stores"),
    "ape": ("don't {w} into random stuff", "i {w}d into a memecoin", "{w} into the next hype", "{w}s at the zoo",
            "planet of the {w}s", "{w} into anything new"),
    "sandbox": ("a {w} account for testing", "test it in a {w}", "{w} mode of the api", "{w} environment",
                "kids in the {w}", "a {w} game"),
    "sand": ("{w} at the beach", "{w} in my shoes", "a bag of {w}"),
    "link": ("the {w} is broken", "send me the {w}", "{w} to the docs", "a {w} in bio", "share the {w} please"),
    "bat": ("a cricket {w}", "a {w} in the attic", "baseball {w}", "didn't {w} an eye"),
    "curve": ("learning {w}", "bell {w}", "a {w} ball", "the {w} of the road", "ahead of the {w}"),
    "mana": ("out of {w}", "{w} potion", "{w} bar in the game"),
    "floki": ("my dog {w}", "{w} the husky", "{w} is a good boy", "{w} in the movie"),
    "ripple": ("a {w} effect", "the {w} in the water", "{w}s from the rate cut"),
    "optimism": ("full of {w}", "cautious {w}", "{w} about the year"),
    "polygon": ("draw a {w}", "{w} mesh in blender", "a regular {w}"),
    "fetch": ("{w} my history", "{w} the ball", "{w} the latest data"),
    "immutable": ("the contract is {w}", "{w} objects", "an {w} record"),
    "world": ("the {w} cup", "around the {w}", "{w} news"),
    "sol": ("{w} y sombra", "el {w}", "do re mi fa {w}"),
    "pepe": ("my uncle {w}",),
    "doge": ("{w} of venice",),
    "ether": ("lost in the {w}", "diethyl {w}"),
    "graphs": ("{w} of my returns", "make {w} for the report"),
    "basic": ("{w} cooking", "the {w} plan"),
    "inch": ("one {w} taller", "an {w} of rain"),
}
# Crypto requests to put beside ordinary text: {a}, {b} are mentions, {n} an amount.
REQUESTS = (
    "check my {a}", "then swap {n} {a} for {b}", "what's {a} doing", "show my {a} and {b}", "buy {n} {a}",
    "any news on {a}", "price of {a} pls", "stake my {a}", "sell {a}", "is {a} up today", "send {n} {a} to my ledger",
    "how are {a} and {b} doing", "move {a} into {b}", "{a} chart", "set an alert for {a}",
)
JOINERS = (", then ", ". also ", " and ", ", anyway ", ". btw ", " — ", "; ", ", but first ", " ... ")
CHATTER_NONE = (
    "check my positions", "what's trending in crypto", "how is the market", "show my wallet", "check gas fees",
    "what did i miss", "anything new in defi", "how's my portfolio", "summarize the news", "any airdrops today",
)
# A word in its crypto sense: {w} the word (plus its label), {n} an amount.
CRYPTO_SENSE = (
    "swap {n} eth for {w}", "stake my {w}", "buy {n} {w}", "{w} price", "sell my {w} tokens", "farming {w}",
    "${w} is pumping", "{w}/usdc", "add {w} to my bag", "is {w} a good buy",
)
BOTH_WORDS = {"sushi": "SUSHI", "cake": "CAKE", "gala": "GALA", "op": "OP", "graph": "GRT", "compound": "COMP",
              "comp": "COMP", "uni": "UNI", "arb": "ARB", "ape": "APE", "sandbox": "SAND", "sand": "SAND",
              "link": "LINK", "bat": "BAT", "curve": "CRV", "mana": "MANA", "floki": "FLOKI", "ripple": "XRP"}
PROJECTS = (  # (text, tickers): protocols and networks named as such
    ("on uniswap", ("UNI",)), ("via uniswap", ("UNI",)), ("on arbitrum", ("ARB",)), ("to arbitrum", ("ARB",)),
    ("on optimism", ("OP",)), ("to optimism", ("OP",)), ("on polygon", ("MATIC",)), ("on solana", ("SOL",)),
    ("in aave", ("AAVE",)), ("on aave", ("AAVE",)), ("on compound", ("COMP",)), ("with lido", ("LDO",)),
    ("on curve", ("CRV",)), ("through 1inch", ("1INCH",)), ("on sushiswap", ("SUSHI",)),
    ("on pancakeswap", ("CAKE",)), ("on ethereum", ("ETH",)), ("on ethereum mainnet", ("ETH",)),
    ("in makerdao", ("MKR",)), ("on bnb chain", ("BNB",)), ("on immutable x", ("IMX",)),
    ("in the sandbox", ("SAND",)), ("in decentraland", ("MANA",)), ("on injective", ("INJ",)),
    ("in yearn vaults", ("YFI",)), ("via chainlink oracles", ("LINK",)), ("with the graph", ("GRT",)),
    ("on synthetix", ("SNX",)), ("on axie infinity", ("AXS",)), ("in compound v3", ("COMP",)),
    ("to ethereum", ("ETH",)), ("from ethereum", ("ETH",)), ("on the ethereum network", ("ETH",)),
    ("on ethereum l1", ("ETH",)), ("on eth mainnet", ("ETH",)), ("from polygon", ("MATIC",)),
    ("to polygon", ("MATIC",)), ("on the polygon network", ("MATIC",)), ("from arbitrum", ("ARB",)),
    ("to solana", ("SOL",)),
    ("on the solana network", ("SOL",)), ("from optimism", ("OP",)), ("on pancake swap", ("CAKE",)),
    ("on lido", ("LDO",)), ("through uniswap v3", ("UNI",)), ("on curve finance", ("CRV",)),
)
# Things said about a network or protocol, with no token named: {p} the place.
PROJECT_ONLY = ("fees {p} are insane", "move my nfts {p}", "is it safe {p}", "gas {p} right now", "any airdrops {p}",
                "how long does a withdrawal take {p}", "what's new {p}", "bridge everything {p}")

PROJECT_TEMPLATES = (
    "swap {n} {a} {p}", "bridge {a} {p}", "lend {a} {p}", "is {p} safe for {a}", "deposit {n} {a} {p}",
    "fees {p} for {a}", "what's the apy for {a} {p}", "move my {a} {p}",
)
ENS_NAMES = ("kim", "alice", "bob", "vitalik", "nick", "sarah", "dao", "mom", "builder", "satoshi", "max", "jo",
             "lena", "treasury", "wallet", "anon", "tom", "zoe")
ENS_TEMPLATES = (
    ("send {n} {a} to {e}.eth", True), ("tip {e}.eth {n} {a}", True), ("pay {e}.eth in {a}", True),
    ("who is {e}.eth", False), ("resolve {e}.eth", False), ("what does {e}.eth hold", False),
    ("is {e}.eth a contract", False), ("look up {e}.eth", False), ("{e}.eth sent me {n} {a}", True),
    ("how old is {e}.eth", False), ("renew {e}.eth", False),
)
LONG_OPENERS = ("ok so", "quick one", "hey", "alright", "so basically", "for context", "gm", "")
LONG_BODIES = (
    "i hold {L} and want to know which did best this month",
    "my bags are {L}, which should i trim",
    "track {L} for me and ping me on big moves",
    "rebalance my portfolio across {L}",
    "compare fees and staking yields for {L}",
    "what happened to {L} this week, friends keep asking",
    "export every trade of {L} for my taxes",
    "portfolio check: {L}",
    "price alerts on {L} please",
)
LIST_ITEMS = ("{m}", "{m}", "{n} {m}", "{m} {n}", "{m} at {n}", "some {m}", "{m} ({n})")
# A name with no trade word around it: news, governance, people talking.
NEWS = ("did {a} settle with the sec", "{a} proposal results", "{a} roadmap update", "{a} lawsuit news",
        "is {a} still a thing", "{a} merged with another project", "what is {a} working on", "{a} team update",
        "who runs {a}", "{a} partnership rumors", "{a} governance drama", "{a} hack?", "{a} community call recap",
        "{a} burn this quarter", "did {a} win the case", "{a} stability fee change", "{a} migration, what do i do",
        "is {a} dead", "why does everyone hate {a}", "{a} fee switch vote", "{a} upgrade went live",
        "{a} unlock next week", "anyone still using {a}", "{a} listing on a new exchange", "{a} etf odds",
        "{a} founder interview", "what went wrong with {a}", "{a} wars explained", "{a} whitepaper summary")
# Names that are also ordinary words (their own featurizer slot), in their crypto sense: the
# same words ORDINARY and CONFUSABLES use as negatives, so that the name, not the word, wins.
NAME_WORDS = {"ether": "ETH", "ripple": "XRP", "polygon": "MATIC", "maker": "MKR", "optimism": "OP",
              "curve": "CRV", "compound": "COMP", "sushi": "SUSHI", "cake": "CAKE", "uni": "UNI", "link": "LINK",
              "graph": "GRT", "the graph": "GRT", "fetch.ai": "FET", "fetch ai": "FET", "immutable": "IMX",
              "immutable x": "IMX", "world coin": "WLD", "one inch": "1INCH", "basic attention token": "BAT",
              "bat": "BAT", "ape": "APE", "sand": "SAND", "the sandbox": "SAND", "mana": "MANA", "gala": "GALA",
              "floki": "FLOKI", "op": "OP", "arb": "ARB", "comp": "COMP", "sol": "SOL", "pol": "POL",
              "binance coin": "BNB", "usd coin": "USDC", "circle usd": "USDC", "wrapped ether": "WETH",
              "wrapped bitcoin": "WBTC", "pancake swap": "CAKE", "makerdao": "MKR", "dai stablecoin": "DAI"}
# Several requests in one prompt: {r} each.
STEP_JOINERS = (", then ", " and then ", ". after that ", ", and ", ". then ", "; ", " -> ")
MULTI_WORD = ("usd coin", "binance coin", "shiba inu", "floki inu", "basic attention token", "fetch ai",
              "immutable x", "axie infinity", "the sandbox", "the graph", "lido dao", "curve dao", "world coin",
              "wrapped ether", "wrapped bitcoin", "gala games", "injective protocol", "yearn finance", "pepe coin",
              "ape coin", "doge coin", "ethereum name service", "polygon ecosystem token", "synthetix network token",
              "tether usd", "circle usd", "wrapped ethereum", "dai stablecoin", "matic network", "curve dao token",
              "1inch network", "one inch", "bnb coin", "eth coin", "pancake swap", "sushi swap", "chain link",
              "polygon matic", "binance usd", "gala games", "aave token", "uniswap token", "graph token")


class HardPromptGenerator(PromptGenerator):
    """``PromptGenerator`` plus the hard kinds, in proportion ``hard`` of the prompts."""

    def __init__(self, db: TickerDatabase, seed: int, hard: float = 0.5) -> None:
        super().__init__(db, seed)
        self.hard = hard
        self.by_form = {f: s for s in LABELS for f in self.forms[s]}

    def _labels(self, symbols) -> tuple[str, ...]:
        return tuple(sorted(set(symbols), key=LABELS.index))

    def _request(self, k: int = 2) -> tuple[str, list[str]]:
        rng = self.rng
        symbols = self.pick(k)
        text = rng.choice(REQUESTS)
        used = [s for s, key in zip(symbols, ("{a}", "{b}"), strict=True) if key in text]
        text = text.format(a=self.mention(symbols[0]), b=self.mention(symbols[1]), n=rng.choice(AMOUNTS))
        return text, used

    def ordinary(self) -> Example:
        rng = self.rng
        word = rng.choice(sorted(ORDINARY))
        text = rng.choice(ORDINARY[word]).format(w=casing(word, rng) if rng.random() < 0.2 else word)
        r = rng.random()
        if r < 0.45:
            req, symbols = self._request()
            text = f"{text}{rng.choice(JOINERS)}{req}" if rng.random() < 0.6 else f"{req}{rng.choice(JOINERS)}{text}"
            return Example(self.decorate(text), self._labels(symbols))
        if r < 0.75:
            text = f"{text}{rng.choice(JOINERS)}{rng.choice(CHATTER_NONE)}"
        return Example(self.decorate(text), ())

    def both(self) -> Example:
        rng = self.rng
        word = rng.choice(sorted(BOTH_WORDS))
        plain = rng.choice(ORDINARY[word]).format(w=word)
        crypto = rng.choice(CRYPTO_SENSE).format(w=word, n=rng.choice(AMOUNTS))
        symbols = [BOTH_WORDS[word]] + (["ETH"] if "eth" in crypto.split() else []) + (
            ["USDC"] if "usdc" in crypto else [])
        parts = [plain, crypto] if rng.random() < 0.5 else [crypto, plain]
        return Example(self.decorate(rng.choice(JOINERS).join(parts)), self._labels(symbols))

    def names(self) -> Example:
        rng = self.rng
        if rng.random() < 0.35:
            symbol = rng.choice(LABELS)
            return Example(self.decorate(rng.choice(NEWS).format(a=self.mention(symbol))), (symbol,))
        form = rng.choice(MULTI_WORD)
        symbol = self.by_form[form]
        other = next(s for s in self.pick(2) if s != symbol)
        text = rng.choice(("is {a} riskier than {b}", "{a} vs {b}", "swap {n} {a} for {b}", "{b} or {a}?",
                           "could {a} ever go to zero", "sell my {b} and buy {a}", "{a} news", "{a} and {b} prices",
                           "how much is {a} worth", "did {a} beat {b} this year", "{a} migration from {b}",
                           "what does {a} do to {b}", "is {a} safer than {b}", "i mean {a}, not {b}",
                           "my {a} is on a ledger, my {b} on an exchange", "{b} and {a} both down today",
                           "move everything from {b} to {a}", "{a} burn vs {b} burn"))
        used = [symbol] + ([other] if "{b}" in text else [])
        text = text.format(a=casing(form, rng), b=self.mention(other), n=rng.choice(AMOUNTS))
        return Example(self.decorate(text), self._labels(used))

    def sense(self) -> Example:
        """A name that is also an ordinary word, in its crypto sense, beside another name or alone."""
        rng = self.rng
        word = rng.choice(sorted(NAME_WORDS))
        symbol = NAME_WORDS[word]
        form = casing(word, rng) if rng.random() < 0.25 else word
        other = next(s for s in self.pick(2) if s != symbol)
        r = rng.random()
        if r < 0.3:
            text, used = rng.choice(NEWS).format(a=form), [symbol]
        elif r < 0.65:
            text = rng.choice(TEMPLATES_ONE).format(a=form, n=rng.choice(AMOUNTS))
            used = [symbol]
        else:
            a, b = (form, self.mention(other)) if rng.random() < 0.5 else (self.mention(other), form)
            text = rng.choice(TEMPLATES_TWO).format(a=a, b=b, n=rng.choice(AMOUNTS))
            used = [symbol, other]
        return Example(self.decorate(text), self._labels(used))

    def steps(self) -> Example:
        """Two or three requests in one prompt, some on a project named as such."""
        rng = self.rng
        parts, used = [], []
        for _ in range(rng.randint(2, 3)):
            if rng.random() < 0.35:
                place, tickers = rng.choice(PROJECTS)
                symbol = rng.choice(LABELS)
                parts.append(rng.choice(PROJECT_TEMPLATES).format(a=self.mention(symbol), p=place,
                                                                  n=rng.choice(AMOUNTS)))
                used += [symbol, *tickers]
            else:
                req, symbols = self._request()
                parts.append(req)
                used += symbols
        text = parts[0] + "".join(rng.choice(STEP_JOINERS) + p for p in parts[1:])
        return Example(self.decorate(text), self._labels(used))

    def long(self) -> Example:
        rng = self.rng
        symbols = self.pick(rng.randint(4, 6))
        item = rng.choice(LIST_ITEMS)
        mentions = [item.format(m=self.mention(s), n=rng.choice(AMOUNTS)) for s in symbols]
        listed = ", ".join(mentions[:-1]) + rng.choice((" and ", ", ", " & ", " plus ")) + mentions[-1]
        text = f"{rng.choice(LONG_OPENERS)} {rng.choice(LONG_BODIES).format(L=listed)}".strip()
        if rng.random() < 0.4:
            text = f"{text}. {' '.join(rng.choice(NEGATIVE_WORDS) for _ in range(rng.randint(3, 8)))}"
        return Example(" ".join(text.split()), self._labels(symbols))

    def ens(self) -> Example:
        rng = self.rng
        template, has_token = rng.choice(ENS_TEMPLATES)
        symbol = rng.choice(LABELS)
        text = template.format(e=rng.choice(ENS_NAMES), a=self.mention(symbol), n=rng.choice(AMOUNTS))
        return Example(self.decorate(text), (symbol,) if has_token else ())

    def project(self) -> Example:
        rng = self.rng
        tickers: tuple[str, ...]
        place, tickers = rng.choice(PROJECTS)
        if rng.random() < 0.3:
            text = rng.choice(PROJECT_ONLY).format(p=place)
            if rng.random() < 0.4:  # from one network to another
                place2, tickers2 = rng.choice(PROJECTS)
                text = f"{text} {place2}"
                tickers = (*tickers, *tickers2)
            return Example(self.decorate(text), self._labels(tickers))
        symbol = self.pick(1)[0]
        text = rng.choice(PROJECT_TEMPLATES).format(a=self.mention(symbol), p=place, n=rng.choice(AMOUNTS))
        return Example(self.decorate(text), self._labels([symbol, *tickers]))

    def example(self) -> Example:
        if self.rng.random() >= self.hard:
            return super().example()
        r = self.rng.random()
        if r < 0.25:
            return self.ordinary()
        if r < 0.35:
            return self.both()
        if r < 0.47:
            return self.names()
        if r < 0.57:
            return self.sense()
        if r < 0.65:
            return self.steps()
        if r < 0.83:
            return self.long()
        if r < 0.9:
            return self.ens()
        return self.project()
