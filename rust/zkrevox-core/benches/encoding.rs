//! Field-element and calldata encoding of a proof's instances, grouped by instance count.
//!
//! Sizes are a real ticker proof's: 1,856 proof bytes and 180 instances for one prompt,
//! 16 × 180 for a batch-16 proof. What a provider does per proof: parse ezkl's hex
//! instances, read them back as signed integers, and build `verifyProof` calldata.
//! `cargo bench -p zkrevox-core --bench encoding`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use zkrevox_core::{decode_verify_proof, encode_call, encode_verify_proof, AbiValue, Felt};

const PROOF_BYTES: usize = 1856;

fn instances(n: usize) -> Vec<Felt> {
    // features (small, non-negative) then logits (signed), as a ticker proof has them
    (0..n)
        .map(|i| Felt::from_i128(if i % 180 < 138 { (i % 4) as i128 * 128 } else { 1000 - i as i128 }))
        .collect()
}

fn encoding(c: &mut Criterion) {
    let proof: Vec<u8> = (0..PROOF_BYTES).map(|i| (i * 31) as u8).collect();
    let mut g = c.benchmark_group("encoding");
    for n in [180, 2880] {
        let felts = instances(n);
        let hex: Vec<String> = felts.iter().map(Felt::to_ezkl_hex).collect();
        let calldata = encode_verify_proof(&proof, &felts);
        let words: Vec<[u8; 32]> = felts.iter().map(Felt::to_be_bytes).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("from_ezkl_hex", n), &hex, |b, hex| {
            b.iter(|| hex.iter().map(|h| Felt::from_ezkl_hex(black_box(h))).collect::<Result<Vec<_>, _>>());
        });
        g.bench_with_input(BenchmarkId::new("to_ezkl_hex", n), &felts, |b, f| {
            b.iter(|| black_box(f).iter().map(Felt::to_ezkl_hex).collect::<Vec<_>>());
        });
        g.bench_with_input(BenchmarkId::new("to_i128", n), &felts, |b, f| {
            b.iter(|| black_box(f).iter().map(Felt::to_i128).collect::<Result<Vec<_>, _>>());
        });
        g.bench_with_input(BenchmarkId::new("from_i128", n), &n, |b, &n| {
            b.iter(|| (0..n as i128).map(|v| Felt::from_i128(black_box(v - 90))).collect::<Vec<_>>());
        });
        g.bench_with_input(BenchmarkId::new("encode_verify_proof", n), &felts, |b, f| {
            b.iter(|| encode_verify_proof(black_box(&proof), black_box(f)));
        });
        g.bench_with_input(BenchmarkId::new("hex_to_calldata", n), &hex, |b, hex| {
            b.iter(|| {
                let f = hex.iter().map(|h| Felt::from_ezkl_hex(black_box(h))).collect::<Result<Vec<_>, _>>();
                encode_verify_proof(&proof, &f.unwrap())
            });
        });
        g.bench_with_input(BenchmarkId::new("decode_verify_proof", n), &calldata, |b, d| {
            b.iter(|| decode_verify_proof(black_box(d)));
        });
        g.bench_with_input(BenchmarkId::new("encode_call", n), &words, |b, w| {
            b.iter(|| {
                let args =
                    [AbiValue::Bytes(proof.clone()), AbiValue::UintArray(w.clone()), AbiValue::Uint(w[0])];
                encode_call(black_box("fulfil(bytes,uint256[],uint256)"), &args)
            });
        });
    }
    g.finish();
}

criterion_group!(benches, encoding);
criterion_main!(benches);
