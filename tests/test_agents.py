"""An agent is a folder: the registry finds every agent package, and the generic pipeline names none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import zkrevox
from zkrevox.agents import Agent, agents, answer_key, get_agent
from zkrevox.errors import InputError
from zkrevox.model_files import known_models

PACKAGE = Path(zkrevox.__file__).parent
# The pipeline: train → build → evaluate → predict/prove/verify. Agents' packages (zkrevox/agents/*/)
# and the demo/chain example code are not generic modules.
GENERIC = ["model_files.py", "train.py", "evaluate.py", "prover.py", "proof.py", "artifacts.py", "circuit.py",
           "featurize.py", "featurizer.py", "encoding.py", "cli/model.py"]


def test_the_registry_finds_every_agent_package_and_each_has_its_model_folder():
    found = agents()
    assert {"ticker", "intent"} <= set(found)
    assert set(found) == {p.name for p in (PACKAGE / "agents").iterdir() if (p / "__init__.py").is_file()}
    for name, agent in found.items():
        assert isinstance(agent, Agent) and agent.name == name
        assert name in known_models()
    assert (answer_key("ticker"), answer_key("intent")) == ("tickers", "intents")


def test_an_unknown_agent_is_an_error_naming_the_known_ones():
    with pytest.raises(InputError, match=r"no agent 'wallet'.*known agents: intent, ticker"):
        get_agent("wallet")


def agent_words(text: str) -> list[str]:
    """The words of ``text`` that name an agent or its answer key (any case, also inside ``TickerDatabase``
    or ``ticker_vocab``) or that are one of an agent's labels as written (``BRIDGE``, ``ETH``)."""
    names = {w for name, agent in agents().items() for w in (name, agent.answer_key)}
    labels = {label for agent in agents().values() for label in agent.labels}
    found = set()
    for word in re.findall(r"[A-Za-z_]+", text):
        parts = [p.lower() for p in re.split(r"_|(?<=[a-z])(?=[A-Z])", word)]
        if word in labels or word.lower() in names or any(p in names for p in parts):
            found.add(word)
    return sorted(found)


def test_agent_words_finds_names_in_any_form():
    assert agent_words('TickerDatabase ticker_vocab "intents" BRIDGE Bridge the info') == [
        "BRIDGE", "TickerDatabase", "intents", "ticker_vocab"]


@pytest.mark.parametrize("module", GENERIC)
def test_a_generic_module_mentions_no_agent_by_name(module):
    found = agent_words((PACKAGE / module).read_text())
    assert not found, f"{module} names an agent's specifics: {found}"
