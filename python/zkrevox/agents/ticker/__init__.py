"""The ticker agent: which tokens of its label set a prompt names."""
