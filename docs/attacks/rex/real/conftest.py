"""Borrow tests/chain's fixtures (a real DPrompt with a toy model, the REX contracts)."""
import importlib.util
import sys
from pathlib import Path

_CHAIN = Path(__file__).resolve().parents[2] / "tests" / "chain"
sys.path.insert(0, str(_CHAIN))
_spec = importlib.util.spec_from_file_location("chain_conftest", _CHAIN / "conftest.py")
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
globals().update({k: v for k, v in vars(_mod).items() if not k.startswith("__")})
