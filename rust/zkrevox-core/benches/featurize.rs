//! Featurizer throughput, grouped by prompt size, single prompts and batches.
//!
//! The baseline, the pure-Python reference, is measured beside the binding by
//! `tests/test_native.py::test_speed_against_reference` (run with `-s` to print prompts/s).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use zkrevox_core::{featurize, featurize_batch, featurize_quantized_batch, FeatureSpec};

fn prompt(len: usize) -> Vec<u8> {
    let words = ["swap", "2", "bnb", "for", "cake", "$PEPE", "to", "the", "moon", "etherium", "1inch", "2.5"];
    let mut out = Vec::new();
    for w in words.iter().cycle() {
        if out.len() + w.len() + 1 > len {
            break;
        }
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(w.as_bytes());
    }
    out
}

/// A ticker-like spec: 107 vocabulary words, 32 trigram buckets, clip 3.
fn ticker_spec(fuzzy_min_len: u32) -> FeatureSpec {
    let base =
        ["swap", "bnb", "cake", "pepe", "moon", "ethereum", "0inch", "dogecoin", "tether", "chainlink"];
    let vocab: Vec<String> = base
        .iter()
        .map(|w| (*w).to_owned())
        .chain(
            (0..97u8)
                .map(|i| format!("token{}{}", char::from(b'a' + i % 26), "x".repeat(usize::from(i / 26)))),
        )
        .collect();
    FeatureSpec::new(vocab, 192, 32, 3, fuzzy_min_len).unwrap()
}

fn single(c: &mut Criterion) {
    let specs = [("ticker", ticker_spec(5)), ("exact_only", ticker_spec(0))];
    let mut g = c.benchmark_group("featurize");
    for len in [16, 64, 192] {
        let p = prompt(len);
        g.throughput(Throughput::Bytes(p.len() as u64));
        for (name, spec) in &specs {
            g.bench_with_input(BenchmarkId::new(*name, len), &p, |b, p| {
                b.iter(|| featurize(black_box(p), spec));
            });
        }
    }
    g.finish();
}

fn batch(c: &mut Criterion) {
    let spec = ticker_spec(5);
    let mut g = c.benchmark_group("featurize_batch");
    for n in [100, 10_000] {
        let prompts: Vec<Vec<u8>> = (0..n).map(|i| prompt(20 + i % 100)).collect();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("features", n), &prompts, |b, p| {
            b.iter(|| featurize_batch(black_box(p), &spec));
        });
        g.bench_with_input(BenchmarkId::new("quantized", n), &prompts, |b, p| {
            b.iter(|| featurize_quantized_batch(black_box(p), &spec, 7));
        });
    }
    g.finish();
}

criterion_group!(benches, single, batch);
criterion_main!(benches);
