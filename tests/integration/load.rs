//! Load runs through the library (not timed tests: they assert correctness
//! only and print the figures recorded in docs/performance.md). Run with
//! `cargo test --release --test integration load -- --ignored --nocapture`.

use std::sync::Arc;
use std::time::Instant;

use crate::common::{DOC, Env, runtime};

#[test]
#[ignore = "load run; prints figures for docs/performance.md"]
fn concurrent_registrations_batch_into_few_checkpoints() {
    let env = Env::new();
    let rt = runtime();
    rt.block_on(async {
        let service = Arc::new(env.service().await);
        let n = 2000u64;
        let start = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let s = service.clone();
                tokio::spawn(async move { s.register(format!("{DOC}\nBilaga {i}\n").as_bytes(), "last").await })
            })
            .collect();
        let mut indexes = Vec::new();
        for t in tasks {
            indexes.push(t.await.unwrap().unwrap().log_index);
        }
        let elapsed = start.elapsed();
        indexes.sort();
        assert_eq!(indexes, (1..=n).collect::<Vec<_>>(), "every acknowledged append is in the log, once, in order");
        let checkpoints = service.store().checkpoints().await.unwrap().len();
        println!(
            "{n} concurrent registrations: {:.0} ms, {:.0} appends/s, {} checkpoints (mean batch {:.1})",
            elapsed.as_secs_f64() * 1000.0,
            n as f64 / elapsed.as_secs_f64(),
            checkpoints - 1,
            n as f64 / (checkpoints - 1) as f64
        );

        let start = Instant::now();
        for i in 0..200u64 {
            service.register(format!("{DOC}\nSekventiell {i}\n").as_bytes(), "last").await.unwrap();
        }
        println!("200 sequential registrations: {:.2} ms each (one fsync'd commit each)", start.elapsed().as_secs_f64() * 5.0);

        let size = service.store().log_size().await.unwrap();
        let start = Instant::now();
        for i in (0..size).step_by(7) {
            service.inclusion_proof(i, None).await.unwrap();
        }
        let proofs = size.div_ceil(7);
        println!("inclusion proofs at size {size}: {:.3} ms each", start.elapsed().as_secs_f64() * 1000.0 / proofs as f64);

        let start = Instant::now();
        let report = service.audit().await.unwrap();
        assert!(report.ok, "{:?}", report.problems);
        println!("audit of {} entries, {} checkpoints: {:.0} ms", report.entries, report.checkpoints, start.elapsed().as_secs_f64() * 1000.0);
    });
}
