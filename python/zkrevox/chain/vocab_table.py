"""The featurizer's vocabulary tables in the on-chain form `Featurizer.sol` reads.

FEATURIZER.md §4 defines two maps from a 32-bit ``fnv1a`` hash to a vocabulary
index, EXACT and FUZZY, first writer winning (version 2: to a slot). On-chain they are one
open-addressing hash table stored as a data contract's code:

- ``2^bits`` slots of 8 bytes: key (4) ‖ EXACT index + 1 (2) ‖ FUZZY index + 1 (2), 0 = none;
- a key's home slot is ``((key * 0x9E3779B1) mod 2^32) >> (32 - bits)``, then linear probing;
- keys are inserted in ascending order, so the table is a pure function of the spec;
- the load factor is kept at or below one half (probes stay short, and a miss always
  ends at an empty slot).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from zkrevox.errors import InputError
from zkrevox.featurize import FeatureSpec

FIB = 0x9E3779B1
MAX_TABLE_BITS = 11  # 2^11 slots * 8 bytes fit the 24,576-byte code limit
SLOT_BYTES = 8


@dataclass(frozen=True)
class VocabTable:
    bits: int
    data: bytes  # 2^bits * 8 bytes, without the data contract's leading STOP byte

    @property
    def slots(self) -> int:
        return 1 << self.bits


def home_slot(key: int, bits: int) -> int:
    return ((key * FIB) & 0xFFFFFFFF) >> (32 - bits)


def build_table(spec: FeatureSpec) -> VocabTable:
    """The on-chain table of ``spec``'s EXACT and FUZZY maps."""
    if spec.num_slots >= 0xFFFF:
        raise InputError(f"vocabulary has {spec.num_slots} slots; the on-chain table holds at most 65534")
    keys = sorted(set(spec.exact) | set(spec.fuzzy))
    bits = 1
    while (1 << bits) < 2 * max(len(keys), 1):
        bits += 1
    if bits > MAX_TABLE_BITS:
        raise InputError(
            f"vocabulary tables have {len(keys)} keys, more than the on-chain table holds "
            f"({(1 << MAX_TABLE_BITS) // 2}); shorten the vocabulary or raise fuzzy_min_len"
        )
    slots: list[int] = [0] * (1 << bits)
    mask = (1 << bits) - 1
    for key in keys:
        exact = spec.exact.get(key)
        fuzzy = spec.fuzzy.get(key)
        entry = key << 32 | (0 if exact is None else exact + 1) << 16 | (0 if fuzzy is None else fuzzy + 1)
        s = home_slot(key, bits)
        while slots[s]:
            s = (s + 1) & mask
        slots[s] = entry
    return VocabTable(bits=bits, data=b"".join(e.to_bytes(SLOT_BYTES, "big") for e in slots))


def spec_hash(spec: FeatureSpec) -> bytes:
    """sha256 of the spec's canonical JSON (sorted keys, no spaces), as registered on-chain."""
    return hashlib.sha256(json.dumps(spec.to_dict(), sort_keys=True, separators=(",", ":")).encode()).digest()


def onchain_spec(spec: FeatureSpec, table: VocabTable, table_address: str | None = None) -> tuple:
    """``Featurizer.Spec`` as an ABI tuple: (maxBytes, vocabSize, trigramBuckets, clip,
    fuzzyMinLen, tableBits, table, contextSlots); ``vocabSize`` is the number of slots S
    (version 1: the vocabulary's length), ``contextSlots`` K (version 1: 0)."""
    if spec.clip > 255 or spec.fuzzy_min_len > 255 or spec.max_bytes > 0xFFFF or spec.trigram_buckets > 0xFFFF:
        raise InputError("spec does not fit the on-chain fields (clip, fuzzy_min_len <= 255; max_bytes, T <= 65535)")
    return (
        spec.max_bytes,
        spec.num_slots,
        spec.trigram_buckets,
        spec.clip,
        spec.fuzzy_min_len,
        table.bits,
        table_address or "0x0000000000000000000000000000000000000000",
        spec.context_slots,
    )
