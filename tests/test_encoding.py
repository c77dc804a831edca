"""Output encodings: zigzag (what DPrompt takes) and signed field elements (what ezkl publishes)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkrevox.encoding import FIELD_MODULUS, HALF_FIELD, pack_features, uint256_to_int, unzigzag, zigzag
from zkrevox.errors import InputError

signed = st.integers(-HALF_FIELD, HALF_FIELD)


@given(signed)
def test_zigzag_roundTripsAndStaysSmallForSmallValues(v: int):
    z = zigzag(v)
    assert unzigzag(z) == v
    assert z.bit_length() <= abs(v).bit_length() + 1
    assert uint256_to_int(v % FIELD_MODULUS) == v  # the field element DPrompt rebuilds from z


def test_zigzag_ordersSmallMagnitudesFirst():
    assert [zigzag(v) for v in (0, -1, 1, -2, 2)] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("v", [HALF_FIELD + 1, -HALF_FIELD - 1, FIELD_MODULUS])
def test_zigzag_refusesValuesOutsideHalfTheField(v: int):
    with pytest.raises(InputError, match="outside the signed BN254 range"):
        zigzag(v)


@given(st.lists(st.integers(0, 3), min_size=1, max_size=40), st.integers(1, 12))
def test_packFeatures_isInjectiveDigitByDigit(counts: list[int], digits: int):
    words = pack_features(counts, digits=digits, bits=10, shift=14)
    assert len(words) == -(-len(counts) // digits)
    unpacked = [(w >> (14 + 10 * t)) & 1023 for w in words for t in range(digits)][: len(counts)]
    assert unpacked == counts
