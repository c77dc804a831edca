//! Data parallelism for batches with scoped std threads.
//!
//! No global thread pool: threads live for one call, so the crate is safe in
//! processes that fork (ezkl workers) and never keeps threads around.
//! `ZKREVOX_NUM_THREADS` caps the thread count (default: the machine's cores).

use std::sync::OnceLock;
use std::thread;

/// Batches smaller than this run on the calling thread (spawning costs more).
pub const MIN_PARALLEL_ITEMS: usize = 1024;

/// How many threads a large batch uses.
pub fn num_threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| {
        let cores = thread::available_parallelism().map_or(1, std::num::NonZero::get);
        std::env::var("ZKREVOX_NUM_THREADS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or(cores)
    })
}

fn threads_for(items: usize) -> usize {
    if items < MIN_PARALLEL_ITEMS {
        1
    } else {
        num_threads().min(items / (MIN_PARALLEL_ITEMS / 2)).max(1)
    }
}

/// `items.iter().map(f).collect()`, in order, on several threads when large.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads_for(items.len());
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    thread::scope(|s| {
        let handles: Vec<_> =
            items.chunks(chunk).map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<R>>())).collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(h.join().expect("batch worker thread panicked"));
        }
        out
    })
}

/// Call `f(i, item_i, row_i)` for every item and its `row_len`-wide row of
/// `out`; on several threads when large. Returns the error of the lowest index.
pub fn fill_rows<T: Sync, E: Send, Err: Send>(
    items: &[T],
    out: &mut [E],
    row_len: usize,
    f: impl Fn(usize, &T, &mut [E]) -> Result<(), Err> + Sync,
) -> Result<(), Err> {
    assert_eq!(out.len(), items.len() * row_len, "output must hold one row per item");
    let run = |first: usize, part: &[T], rows: &mut [E]| -> Result<(), Err> {
        if row_len == 0 {
            return part.iter().enumerate().try_for_each(|(i, item)| f(first + i, item, &mut []));
        }
        part.iter()
            .zip(rows.chunks_mut(row_len))
            .enumerate()
            .try_for_each(|(i, (item, row))| f(first + i, item, row))
    };
    let threads = threads_for(items.len());
    if threads == 1 || row_len == 0 {
        return run(0, items, out);
    }
    let chunk = items.len().div_ceil(threads);
    let run = &run;
    thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .zip(out.chunks_mut(chunk * row_len))
            .enumerate()
            .map(|(k, (part, rows))| s.spawn(move || run(k * chunk, part, rows)))
            .collect();
        // join all, then report the first failing chunk (chunks are in order)
        let results: Vec<_> =
            handles.into_iter().map(|h| h.join().expect("batch worker thread panicked")).collect();
        results.into_iter().collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_order() {
        for n in [0, 1, 5, MIN_PARALLEL_ITEMS - 1, MIN_PARALLEL_ITEMS, 10 * MIN_PARALLEL_ITEMS + 3] {
            let items: Vec<usize> = (0..n).collect();
            assert_eq!(map(&items, |i| i * 2), items.iter().map(|i| i * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn fill_rows_fills_and_reports_first_error() {
        for n in [0, 3, 5 * MIN_PARALLEL_ITEMS + 1] {
            for row_len in [0, 1, 3] {
                let items: Vec<usize> = (0..n).collect();
                let mut out = vec![0usize; n * row_len];
                fill_rows(&items, &mut out, row_len, |i, &item, row: &mut [usize]| {
                    assert_eq!(i, item);
                    row.fill(item);
                    Ok::<(), usize>(())
                })
                .unwrap();
                assert!(out.chunks(row_len.max(1)).enumerate().all(|(i, r)| r.iter().all(|&v| v == i)));
            }
        }
        let items: Vec<usize> = (0..5000).collect();
        let mut out = vec![0u8; 5000];
        let err = fill_rows(&items, &mut out, 1, |i, _, _| if i % 1700 == 1699 { Err(i) } else { Ok(()) });
        assert_eq!(err, Err(1699));
    }
}
