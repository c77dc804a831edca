"""The intent agent (issue 11): which of 8 intents a prompt expresses (multi-label, possibly none).

- ``labels``: ``LABELS`` (output order) and what each means;
- ``vocabulary``: its featurizer table (FEATURIZER.md version 1, its own words);
- ``prompts``: the seeded training-prompt generator;
- ``data``: its eval set (``models/intent/eval/``) and label matrices;
- ``train`` / ``quantize``: ``python -m zkrevox.agents.intent.train`` and ``.quantize``.

docs/INTENT.md says what the generic modules need before ``zkrevox train|build|evaluate|predict|prove
intent`` runs this agent.
"""

from zkrevox.agents.intent.labels import DESCRIPTIONS, LABELS
from zkrevox.agents.intent.prompts import IntentExample, IntentPromptGenerator
from zkrevox.agents.intent.vocabulary import feature_spec, vocabulary

__all__ = ["DESCRIPTIONS", "LABELS", "IntentExample", "IntentPromptGenerator", "feature_spec", "vocabulary"]
