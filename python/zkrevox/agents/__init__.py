"""Agents: one package per agent (its label set, vocabulary and training-prompt generator)."""
