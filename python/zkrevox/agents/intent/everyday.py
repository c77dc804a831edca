"""Everyday prompts for the intent agent's generator (issue 24): no intent.

Requests and chat from cooking, travel, sport, school, work, health, DIY, family and money in
the household sense, in which the intent words appear in their ordinary sense ("convert cups to
grams", "stake the beans", "chart the baby's feeds", "withdraw from the race", "the price of
train tickets", "my wallet was stolen"). A template names its topic's things through ``{x}``
(a noun of the topic), ``{v}`` (an everyday verb phrase), ``{q}`` (a quantity with a unit),
``{p}`` (a place) or ``{who}`` (a person); each is filled from the topic's own lists, so the
model meets the verbs beside hundreds of ordinary objects and never beside a token.
"""

from __future__ import annotations

import random

PLACES = (
    "tokyo", "lisbon", "paris", "the airport", "the station", "rome", "berlin", "new york", "the city centre",
    "the mall", "the gym", "school", "the office", "the clinic", "the beach", "the campsite", "london", "madrid",
)
PEOPLE = (
    "my husband", "my wife", "mom", "dad", "the kids", "my son", "my daughter", "grandma", "my boss", "the teacher",
    "my neighbour", "the coach", "my sister", "my brother", "the landlord", "my colleague", "the nurse", "my niece",
)
QUANTITIES = (
    "3 cups", "200 grams", "half a cup", "2 tablespoons", "500 ml", "1 kg", "12 ounces", "two liters", "5 miles",
    "10 km", "3 hours", "40 minutes", "20 euros", "$35", "15 dollars", "200 pounds", "a dozen", "6 inches",
    "2.5 meters", "3 feet", "100 degrees", "350f", "30%", "two weeks", "1,200 calories",
)
# topic -> (nouns, templates)
TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cooking": (
        ("flour", "butter", "sugar", "the sauce", "the dough", "rice", "eggs", "the steak", "the roast", "pasta",
         "the soup", "the salad", "cookies", "the cake batter", "olive oil", "the chicken", "the beans", "honey"),
        ("convert {q} of {x} to grams", "swap {x} for something healthier", "can i substitute {x} with yogurt",
         "how much {x} for {q} of pasta", "transfer {x} to a bigger pot", "stake {x} to keep it upright",
         "how much does {x} cost at the market", "price of {x} went up again", "pour {x} into the pan",
         "drain {x} and save the water", "trade recipes for {x} with {who}", "buy {x} on the way home",
         "send {who} the recipe for {x}", "what's the best way to store {x}", "is {x} worth making from scratch",
         "how long do i cook {x}", "add {q} of {x}", "exchange {x} for margarine?", "why is my {x} so dry",
         "chart of cooking times for {x}", "hold {x} at a simmer for {q}", "lock the lid on {x}"),
    ),
    "travel": (
        ("the flight", "the hotel", "my passport", "the train tickets", "the rental car", "the luggage",
         "a taxi", "the ferry", "the hostel", "the bus pass", "the museum tickets", "the tour", "my visa"),
        ("how much is {x} to {p}", "price of {x} to {p} in june", "book {x} for friday", "exchange {x} for a later one",
         "swap {x} with {who}", "transfer from {p} to the hotel", "can i bridge the layover in {p}",
         "pay for {x} with my card", "the {x} deposit is 200 euros", "withdraw cash at {p}", "send {who} a postcard",
         "what's the exchange rate at {p}", "convert 50 euros to yen", "is {x} worth it", "cancel {x}",
         "my wallet got stolen in {p}", "i lost my wallet at {p}", "tip the driver?", "how much should i tip in {p}",
         "chart a route from {p} to the coast", "map out a trip to {p}", "move {x} to tuesday"),
    ),
    "sport": (
        ("the match", "the final", "the race", "the marathon", "my workout", "the league", "practice",
         "the tournament", "the season", "the team bus", "my bike", "the pool session", "the game"),
        ("we lost {x} 2-1", "who won {x}", "i want to withdraw from {x}", "trade the striker before {x}",
         "the stakes are high for {x}", "swap shifts at {x}", "chart my running pace for {x}",
         "graph my heart rate during {x}", "buy new shoes for {x}", "sell my old {x} gear",
         "how much are tickets for {x}", "hold the plank for {q}", "bridge pose hurts my back",
         "transfer window rumours before {x}", "long run of {q} on sunday", "short sprint intervals before {x}",
         "send the team the lineup for {x}", "what's the score", "pool is closed for {x}"),
    ),
    "school": (
        ("my homework", "the essay", "the exam", "the lab report", "the project", "the quiz", "the history test",
         "the math worksheet", "the presentation", "the thesis", "my notes", "the reading list"),
        ("draw a graph of y = 2x for {x}", "plot sin x for {x}", "chart the results of {x}",
         "explain photosynthesis for {x}", "what does osmosis mean", "why is the sky blue, it's for {x}",
         "history of the roman empire for {x}", "balance the equation in {x}", "send {x} to the teacher",
         "transfer to another school", "what is the price elasticity of demand", "exchange program in {p}",
         "convert 5 km to miles for {x}", "how much is 15% of 80", "who wrote hamlet", "tell me about the moon landing",
         "summarize {x}", "my grades are down this term", "how do i cite a website", "the bridge problem in physics"),
    ),
    "work": (
        ("the report", "the meeting", "the slides", "the invoice", "my cv", "the contract", "the deadline",
         "the spreadsheet", "the budget", "the client call", "the quarterly review", "my timesheet"),
        ("send {x} to {who}", "transfer the call to {who}", "move {x} to monday", "swap desks with {who}",
         "pay the invoice from the supplier", "what's at stake in {x}", "chart the sales for {x}",
         "graph the budget for {x}", "my portfolio of design work", "stake my claim on the project",
         "withdraw my application", "bridge the gap between teams", "trade off speed for quality",
         "the market for {x} is slow", "exchange emails with {who}", "my position at the company",
         "hold the line, i'll be back", "price list for {x}", "lock my screen", "sign the lease contract",
         "review the contract with {who}", "history of changes in {x}"),
    ),
    "health": (
        ("my blood pressure", "the pills", "my knee", "my sleep", "the vitamins", "my weight", "the appointment",
         "the prescription", "my back", "my diet", "the therapy session", "my cough"),
        ("take {x} twice a day", "chart {x} for the doctor", "graph {x} over the month", "why is {x} so bad",
         "how much does {x} cost without insurance", "my {x} is down this week", "my {x} is up again",
         "lock in {x} for thursday", "swap {x} for the generic brand", "transfer {x} to another pharmacy",
         "hold your breath for {q}", "stake out a quiet room to nap", "what's a healthy {x}",
         "send {x} to the clinic", "track {x} in an app", "rewards card at the pharmacy", "yield to the ambulance"),
    ),
    "diy": (
        ("the fence posts", "the shelf", "the drill", "the paint", "the tiles", "the garden bed", "the pipe",
         "the wall", "the deck", "the tomato plants", "the roof", "the screws", "the lamp"),
        ("stake {x} before the storm", "drill a hole in {x}", "how much paint for {x}", "swap {x} for new ones",
         "bridge the gap in {x} with filler", "lock {x} in place", "the pool filter needs cleaning",
         "mining for old nails in {x}", "price of lumber for {x}", "deposit for the builder",
         "buy screws for {x}", "sell the old {x}", "send {who} a photo of {x}", "plot where {x} goes",
         "move {x} to the other wall", "level {x}", "is {x} worth fixing", "seal {x} before winter",
         "harvest the tomatoes", "yield of my vegetable garden", "farm stand down the road"),
    ),
    "family": (
        ("the kids", "grandma", "the baby", "my son", "my daughter", "the dog", "the cat", "my parents",
         "the twins", "my nephew", "the family", "my partner"),
        ("pick up {x} at five", "send {x} to camp", "give {x} a hug from me", "{x} wants pancakes",
         "chart the baby's feeds", "swap bedrooms with {x}", "tip for keeping {x} busy", "pay back {x} for lunch",
         "transfer {x} to a new school", "buy a present for {x}", "how much pocket money for {x}",
         "my wallet is full of receipts", "grandpa's coin collection", "the tooth fairy left a coin",
         "balance work and {x}", "lost my keys again", "how much does a puppy cost", "what's for dinner",
         "remind {x} to brush teeth", "{x} broke the lock on the gate", "the dog chewed my wallet"),
    ),
    "home money": (
        ("rent", "the electricity bill", "the phone bill", "groceries", "the car loan", "the mortgage",
         "my savings account", "the water bill", "tuition", "the gym membership", "insurance"),
        ("pay {x} before the 15th", "how much is {x} this month", "transfer money for {x} from my bank",
         "my bank card got blocked", "withdraw cash for {x}", "what's a good interest rate for savings",
         "the price of {x} went up", "budget for {x}", "split {x} with {who}", "send {who} my half of {x}",
         "is {x} worth it", "cash or card for {x}", "set up a direct debit for {x}", "history of my bank payments",
         "my credit score is down", "the bank is closed today", "deposit a cheque at the bank"),
    ),
}


# Requests that any topic shares: sending, paying, prices and charts of ordinary things.
SHARED = (
    "send {x} to {who}", "send {who} {x}", "can you send {x} to {who} tomorrow", "pay {who} back for {x}",
    "how much is {x}", "how much for {x}", "how much {x} do i need", "what's the price of {x} these days",
    "price of {x} at the shop", "make a chart of {x}", "a graph of {x} for {who}", "give {who} {x}",
    "move {x} to {p}", "i lost {x} at {p}", "what happened to {x}", "why is {x} so expensive",
    "tell {who} about {x}", "{x} is down again", "{x} went up", "my balance of {x} this week",
)


class EverydayPrompts:
    """Everyday prompts from ``rng`` (the intent generator's)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def prompt(self) -> str:
        rng = self.rng
        nouns, templates = TOPICS[rng.choice(tuple(TOPICS))]
        template = rng.choice(SHARED) if rng.random() < 0.25 else rng.choice(templates)
        return template.format(
            x=rng.choice(nouns), q=rng.choice(QUANTITIES), p=rng.choice(PLACES), who=rng.choice(PEOPLE),
            v="",
        )
