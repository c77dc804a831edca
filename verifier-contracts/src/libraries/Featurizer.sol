// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Featurizer
/// @notice The zkrevox prompt featurizer, versions 1 and 2 (`docs/FEATURIZER.md`): vocabulary
/// lookup with one-edit fuzzy matching, hashed boundary trigrams for out-of-vocabulary words;
/// version 2 (`contextSlots > 0`) adds the mark words `$ - . /`, vocabulary words sharing slots,
/// and the adjacency of a name and a context word (§7). It must agree bit for bit with
/// `python/zkrevox/featurize.py` (the reference) and the Rust core;
/// `tests/chain/test_onchain_featurizer_parity.py` checks the committed vectors and random prompts.
///
/// @dev The vocabulary tables (EXACT and FUZZY of FEATURIZER.md §4) are one open-addressing hash
/// table stored as the code of a data contract (`deployTable`), built off-chain by
/// `zkrevox.chain.vocab_table` from the spec, first writer winning as in the spec:
///   code  = 0x00 (STOP, so the contract cannot be run) ‖ 2^tableBits slots of 8 bytes;
///   slot  = fnv1a key (4 bytes) ‖ EXACT slot + 1 (2 bytes) ‖ FUZZY slot + 1 (2 bytes), 0 = none
///           (version 1: a word's slot is its vocabulary index);
///   home  = ((key * 0x9E3779B1) mod 2^32) >> (32 - tableBits), then linear probing to an empty slot.
/// `featurizePacked` copies the table into memory once (about 4k gas for 1024 slots), after which
/// a lookup costs tens of gas.
///
/// Features are accumulated in *packed* form: feature `i` occupies `bits` bits
/// (`bitsPerFeature(clip)`: 1, 2, 4 or 8) at bit offset `(i * bits) % 256` of word
/// `(i * bits) / 256`, least significant first. Each increment saturates at `clip`, which gives
/// the same vector as counting and clipping at the end (increments only ever add 1).
///
/// This library featurizes whatever bytes it is given; length limits are the caller's job.
library Featurizer {
    /// @notice Featurizer parameters: a model's input spec as registered on-chain.
    struct Spec {
        uint16 maxBytes; // longest prompt accepted, in bytes
        uint16 vocabSize; // S: features 0..S-1 count the vocabulary's slots (version 1: its words)
        uint16 trigramBuckets; // T: features V..V+T-1 are the trigram buckets (>= 1)
        uint8 clip; // C: largest value of one feature (1..255)
        uint8 fuzzyMinLen; // words at least this long match within one edit; 0 disables
        uint8 tableBits; // log2 of the number of table slots (1..MAX_TABLE_BITS)
        address table; // data contract holding the vocabulary hash table
        uint8 contextSlots; // K: version 2 iff > 0; slots S-K..S-1 are context, features S..S+2K-1 adjacency
    }

    /// @notice The table is not `0x00 ‖ 2^tableBits × 8 bytes`, or holds an index >= `vocabSize`.
    error FeaturizerInvalidTable();

    /// @notice Largest table: 2^11 slots of 8 bytes fit the 24,576-byte code limit (EIP-170).
    uint256 internal constant MAX_TABLE_BITS = 11;

    uint256 private constant _FNV_OFFSET = 0x811c9dc5;
    uint256 private constant _FNV_PRIME = 0x01000193;
    uint256 private constant _TRIGRAM_TAG = 0x01000000;
    uint256 private constant _FIB = 0x9e3779b1;

    /// @notice Number of features `S + 2K + T`.
    function numFeatures(Spec memory spec) internal pure returns (uint256) {
        return numFeatures(spec.vocabSize, spec.contextSlots, spec.trigramBuckets);
    }

    /// @notice Number of features `S + 2K + T` of `S` slots, `K` of them context, `T` trigram buckets.
    function numFeatures(uint256 slots, uint256 contextSlots, uint256 trigramBuckets) internal pure returns (uint256) {
        return slots + 2 * contextSlots + trigramBuckets;
    }

    /// @notice Bits one packed feature takes: the smallest of 1, 2, 4, 8 that holds `clip`.
    function bitsPerFeature(uint256 clip) internal pure returns (uint256) {
        if (clip < 2) return 1;
        if (clip < 4) return 2;
        if (clip < 16) return 4;
        return 8;
    }

    /// @notice Number of 256-bit words of the packed feature vector.
    function packedWords(Spec memory spec) internal pure returns (uint256) {
        return (numFeatures(spec) * bitsPerFeature(spec.clip) + 255) / 256;
    }

    /// @notice Whether `spec`'s scalar fields are ones the featurizer accepts (the table is
    /// checked by `checkTable`).
    function isValid(Spec memory spec) internal pure returns (bool) {
        return spec.maxBytes >= 1 && spec.trigramBuckets >= 1 && spec.clip >= 1 && spec.tableBits >= 1
            && spec.tableBits <= MAX_TABLE_BITS && spec.contextSlots <= spec.vocabSize;
    }

    /// @notice Deploys `table` (the 8-byte slots, without the leading 0x00) as a data contract.
    function deployTable(bytes memory table) internal returns (address addr) {
        // Init code: copy the runtime code (0x00 ‖ table) that follows this 12-byte prefix to
        // memory and return it.
        //   PUSH2 len  DUP1  PUSH1 0x0c  PUSH1 0  CODECOPY  PUSH1 0  RETURN
        uint256 runtimeLength = table.length + 1;
        bytes memory init = abi.encodePacked(
            hex"61", uint16(runtimeLength), hex"80600c6000396000f3", hex"00", table
        );
        assembly ("memory-safe") {
            addr := create(0, add(init, 0x20), mload(init))
        }
        if (addr == address(0)) revert FeaturizerInvalidTable();
    }

    /// @notice Reverts unless `spec.table` holds a well-formed table for `spec`: the right size,
    /// a leading STOP, and every index below `vocabSize` (an index past it would write outside
    /// the feature vector).
    function checkTable(Spec memory spec) internal view {
        address table = spec.table;
        uint256 slots = 1 << spec.tableBits;
        if (table.code.length != 1 + slots * 8) revert FeaturizerInvalidTable();
        bytes memory code = table.code;
        uint256 vocab = spec.vocabSize;
        bool ok = code[0] == 0x00;
        assembly ("memory-safe") {
            let p := add(code, 0x21)
            for { let s := 0 } lt(s, slots) { s := add(s, 1) } {
                let e := shr(192, mload(add(p, shl(3, s))))
                // Stored values are index + 1: anything above `vocab` is out of range.
                if or(gt(and(shr(16, e), 0xffff), vocab), gt(and(e, 0xffff), vocab)) { ok := 0 }
            }
        }
        if (!ok) revert FeaturizerInvalidTable();
    }

    /// @notice Feature counts of `prompt`, clipped at `spec.clip`.
    function featurize(bytes memory prompt, Spec memory spec) internal view returns (uint256[] memory) {
        return unpack(featurizePacked(prompt, spec), numFeatures(spec), bitsPerFeature(spec.clip));
    }

    /// @notice Feature counts of `prompt`, clipped, in packed form (see the library notes).
    /// @dev Assembly: one pass over the bytes, normalizing each word into a buffer while hashing
    /// it, then a table lookup per word (and per one-byte deletion when fuzzy matching applies),
    /// else the word's trigrams. In Solidity each 32-bit step would carry cleanup masks and
    /// bounds checks, and the 16-slot stack would not hold the loop state. The loop-invariant
    /// values live in a small memory context `ctx` passed to the helper functions:
    ///   0x00 packed data   0x20 bits   0x40 clip   0x60 S   0x80 T   0xa0 fuzzyMinLen
    ///   0xc0 table data    0xe0 tableBits   0x100 word buffer   0x120 N = S - K (names)
    ///   0x140 slot + 1 of the previous vocabulary word (0: none)   0x160 first trigram feature S + 2K
    function featurizePacked(bytes memory prompt, Spec memory spec) internal view returns (uint256[] memory packed) {
        packed = new uint256[](packedWords(spec)); // zeroed by the allocation
        uint256 slots = 1 << spec.tableBits;
        bytes memory table = new bytes(slots * 8);
        bytes memory wordBuf = new bytes(prompt.length);
        uint256[12] memory ctx = [
            _dataPtr(packed),
            bitsPerFeature(spec.clip),
            spec.clip,
            spec.vocabSize,
            spec.trigramBuckets,
            spec.fuzzyMinLen,
            _dataPtr(table),
            spec.tableBits,
            _dataPtr(wordBuf),
            uint256(spec.vocabSize) - spec.contextSlots,
            0,
            numFeatures(spec.vocabSize, spec.contextSlots, 0)
        ];
        bool marks = spec.contextSlots > 0;
        address tableAddr = spec.table;
        assembly ("memory-safe") {
            extcodecopy(tableAddr, add(table, 0x20), 1, mload(table))

            // Increments feature `idx` unless it already holds `clip`.
            function bump(c, idx) {
                let bits := mload(add(c, 0x20))
                let bitPos := mul(idx, bits)
                let ptr := add(mload(c), shl(5, shr(8, bitPos)))
                let shift := and(bitPos, 0xff)
                let word := mload(ptr)
                if lt(and(shr(shift, word), sub(shl(bits, 1), 1)), mload(add(c, 0x40))) {
                    mstore(ptr, add(word, shl(shift, 1)))
                }
            }
            // MurmurHash3's 32-bit finalizer.
            function fmix(h) -> r {
                h := xor(h, shr(16, h))
                h := and(mul(h, 0x85ebca6b), 0xffffffff)
                h := xor(h, shr(13, h))
                h := and(mul(h, 0xc2b2ae35), 0xffffffff)
                r := xor(h, shr(16, h))
            }
            // Table entry for fnv1a hash `h`: (EXACT index + 1, FUZZY index + 1), 0 = none.
            // The probe count is bounded by the table size, so a full table cannot loop.
            function lookup(c, h) -> ex, fz {
                let tbits := mload(add(c, 0xe0))
                let mask := sub(shl(tbits, 1), 1)
                let data := mload(add(c, 0xc0))
                let s := shr(sub(32, tbits), and(mul(h, _FIB), 0xffffffff))
                for { let n := 0 } lt(n, add(mask, 1)) { n := add(n, 1) } {
                    let e := shr(192, mload(add(data, shl(3, s))))
                    if iszero(and(e, 0xffffffff)) { break } // empty slot: absent
                    if eq(shr(32, e), h) {
                        ex := and(shr(16, e), 0xffff)
                        fz := and(e, 0xffff)
                        break
                    }
                    s := and(add(s, 1), mask)
                }
            }
            // Vocabulary index + 1 of the buffered word (length `len`, hash `h`), 0 = none (§4).
            function vocabSlot(c, h, len) -> slot {
                let ex, fz := lookup(c, h)
                slot := ex
                let minLen := mload(add(c, 0xa0))
                if and(iszero(slot), and(gt(minLen, 0), iszero(lt(len, minLen)))) {
                    slot := fz
                    let buf := mload(add(c, 0x100))
                    // One-byte deletions in order: hash the prefix once, then each suffix.
                    let pre := _FNV_OFFSET
                    for { let j := 0 } and(iszero(slot), lt(j, len)) { j := add(j, 1) } {
                        let hd := pre
                        for { let q := add(j, 1) } lt(q, len) { q := add(q, 1) } {
                            hd := and(mul(xor(hd, byte(0, mload(add(buf, q)))), _FNV_PRIME), 0xffffffff)
                        }
                        let ex2, fz2 := lookup(c, hd)
                        slot := ex2
                        if iszero(slot) { slot := fz2 }
                        pre := and(mul(xor(pre, byte(0, mload(add(buf, j)))), _FNV_PRIME), 0xffffffff)
                    }
                }
            }
            // Features of one word: its vocabulary slot, else its padded trigrams (§5); with
            // context slots, a name next to a context word also bumps their adjacency (§7).
            function closeWord(c, h, len) {
                let slot := vocabSlot(c, h, len)
                switch slot
                case 0 {
                    let buf := mload(add(c, 0x100))
                    let v := mload(add(c, 0x160))
                    let t := mload(add(c, 0x80))
                    // Trigrams of 0x20 ‖ w ‖ 0x20, sliding a 3-byte window `win`.
                    let win := or(0x2000, byte(0, mload(buf)))
                    for { let q := 1 } lt(q, add(len, 1)) { q := add(q, 1) } {
                        let b := 0x20
                        if lt(q, len) { b := byte(0, mload(add(buf, q))) }
                        win := or(shl(8, and(win, 0xffff)), b)
                        bump(c, add(v, mod(fmix(or(_TRIGRAM_TAG, win)), t)))
                    }
                }
                default {
                    bump(c, sub(slot, 1))
                    // Slots are stored + 1: a name is slot <= N, a context word slot > N.
                    let prev := mload(add(c, 0x140))
                    let n := mload(add(c, 0x120))
                    if prev {
                        let s := mload(add(c, 0x60))
                        // context after a name: S + 2(slot - 1 - N) + 1
                        if and(iszero(gt(prev, n)), gt(slot, n)) { bump(c, add(s, sub(shl(1, sub(slot, n)), 1))) }
                        // context before a name: S + 2(prev - 1 - N)
                        if and(iszero(gt(slot, n)), gt(prev, n)) { bump(c, add(s, sub(shl(1, sub(prev, n)), 2))) }
                    }
                    mstore(add(c, 0x140), slot)
                }
            }

            let end := add(add(prompt, 0x20), mload(prompt))
            let buf := mload(add(ctx, 0x100))
            let h := _FNV_OFFSET // FNV-1a of the current word
            let len := 0 // bytes of the current word, normalized, in `buf`
            let prevDigit := 0
            // One step past the end reads a virtual separator that closes the last word.
            for { let p := add(prompt, 0x20) } iszero(gt(p, end)) { p := add(p, 1) } {
                let c := 0x20
                if lt(p, end) { c := byte(0, mload(p)) }
                // A-Z and a-z both become a-z under `| 0x20`; no other byte lands in a-z.
                let b := or(c, 0x20)
                switch lt(sub(b, 0x61), 26)
                case 1 { prevDigit := 0 }
                default {
                    b := 0
                    switch lt(sub(c, 0x30), 10)
                    case 1 {
                        // A run of digits becomes one '0'.
                        if iszero(prevDigit) { b := 0x30 }
                        prevDigit := 1
                    }
                    default {
                        prevDigit := 0
                        if len {
                            closeWord(ctx, h, len)
                            h := _FNV_OFFSET
                            len := 0
                        }
                        // Version 2: `$` `-` `.` `/` are one-byte words of their own.
                        if and(marks, or(eq(c, 0x24), lt(sub(c, 0x2d), 3))) {
                            mstore8(buf, c)
                            closeWord(ctx, and(mul(xor(_FNV_OFFSET, c), _FNV_PRIME), 0xffffffff), 1)
                        }
                    }
                }
                if b {
                    h := and(mul(xor(h, b), _FNV_PRIME), 0xffffffff)
                    mstore8(add(buf, len), b)
                    len := add(len, 1)
                }
            }
        }
    }

    /// @notice Unpacks `count` features of `bits` bits each from `packed`.
    function unpack(uint256[] memory packed, uint256 count, uint256 bits) internal pure returns (uint256[] memory out) {
        out = new uint256[](count);
        assembly ("memory-safe") {
            let mask := sub(shl(bits, 1), 1)
            let base := add(packed, 0x20)
            let dst := add(out, 0x20)
            for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                let bitPos := mul(i, bits)
                let word := mload(add(base, shl(5, shr(8, bitPos))))
                mstore(add(dst, shl(5, i)), and(shr(and(bitPos, 0xff), word), mask))
            }
        }
    }

    function _dataPtr(uint256[] memory a) private pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := add(a, 0x20)
        }
    }

    function _dataPtr(bytes memory a) private pure returns (uint256 p) {
        assembly ("memory-safe") {
            p := add(a, 0x20)
        }
    }
}
