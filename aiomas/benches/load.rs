//! A load benchmark of the transport (issue 8): memory and calls per second under three loads.
//!
//! - `burst`: 1,000 RPC connections opened at once, each making 20 calls at once (20,000 calls).
//! - `slow reader`: a raw TCP peer pipelines 20,000 calls with 4 KiB replies and reads nothing
//!   for 3 s; meanwhile a good client calls on its own connection. Reported: how much the
//!   process grew, and the good client's calls per second.
//! - `flood`: a raw TCP peer pipelines 100,000 small calls as fast as it can while reading the
//!   replies.
//!
//! Memory is the process's live heap (a counting global allocator: bytes allocated and not yet
//! freed), sampled every 10 ms; `peak` is the highest growth over the start of the scenario,
//! `after` what is left once its connections are gone. Everything runs in this process on one
//! tokio runtime with 2 workers over loopback TCP; raw peers allocate next to nothing.
//!
//! The benchmark uses only public API that existed before the hardening (and raw TCP), so the
//! same file builds against the old code for a before/after comparison. Run with
//! `cargo bench -p aiomas --bench load` (about 30 s).
//!
//! # Figures
//!
//! 2026-12-02, 2 vCPUs shared with other builds (load average 14-20, so rates vary a lot: compare
//! within a run). Old = main at 93c9d49 with this same file, new = the hardened transport,
//! run interleaved old, new, old, new:
//!
//! | scenario | old | new |
//! |---|---|---|
//! | burst: calls ok of 20,000 | 16,640 / 19,400 | 20,000 / 20,000 |
//! | burst: calls/s | 8.7 k / 10.9 k | 23.0 k / 17.6 k |
//! | burst: peak heap | +81 / +71 MiB | +141 / +164 MiB (all 1,000 connections alive at once: the backlog no longer serialises them) |
//! | slow reader: peak heap | +149 / +150 MiB | +8.3 / +8.2 MiB |
//! | slow reader: good client calls/s | 17.6 k / 11.4 k | 3.8 k / 19.6 k |
//! | flood: calls/s | 200 k / 358 k | 225 k / 141 k |
//! | flood: peak heap | +15 / +37 MiB | +4.6 / +4.6 MiB |
//!
//! After every scenario the heap is back within 1 MiB of where it started, old and new.

use std::alloc::System;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aiomas::channel::{Addr, ChannelOptions};
use aiomas::rpc::{self, Args, Exception, ServiceMap};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

#[global_allocator]
static ALLOCATOR: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const MIB: f64 = 1024.0 * 1024.0;

/// Bytes allocated and not yet freed, process-wide.
fn live_bytes() -> isize {
    let stats = ALLOCATOR.stats();
    stats.bytes_allocated as isize - stats.bytes_deallocated as isize
}

/// Samples the live heap every 10 ms until dropped; reports the highest growth over `base`.
struct PeakMeter {
    base: isize,
    peak: Arc<std::sync::atomic::AtomicIsize>,
    running: Arc<AtomicBool>,
}

impl PeakMeter {
    fn start() -> PeakMeter {
        let base = live_bytes();
        let peak = Arc::new(std::sync::atomic::AtomicIsize::new(0));
        let running = Arc::new(AtomicBool::new(true));
        std::thread::spawn({
            let (peak, running) = (peak.clone(), running.clone());
            move || {
                while running.load(Ordering::Relaxed) {
                    peak.fetch_max(live_bytes() - base, Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        });
        PeakMeter {
            base,
            peak,
            running,
        }
    }

    fn peak_mib(&self) -> f64 {
        self.peak
            .load(Ordering::Relaxed)
            .max(live_bytes() - self.base) as f64
            / MIB
    }

    fn now_mib(&self) -> f64 {
        (live_bytes() - self.base) as f64 / MIB
    }
}

impl Drop for PeakMeter {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Relaxed);
    }
}

fn service() -> ServiceMap {
    ServiceMap::new()
        .function("add", |args: Args| async move {
            let (a, b): (i64, i64) = args.into_positional()?;
            Ok::<_, Exception>(a + b)
        })
        .function("blob", |_: Args| async {
            Ok::<_, Exception>("x".repeat(4096))
        })
}

fn port(addr: &Addr) -> u16 {
    match addr {
        Addr::Tcp { port, .. } => *port,
        other => panic!("not TCP: {other}"),
    }
}

fn call_frame(msg_id: u64, path: &str, args: &str) -> Vec<u8> {
    let body = format!("[0, {msg_id}, [\"{path}\", {args}, {{}}]]");
    let mut frame = (body.len() as u32).to_be_bytes().to_vec();
    frame.extend_from_slice(body.as_bytes());
    frame
}

/// Waits until everything a scenario left behind has ended, at most 5 s.
async fn settle(meter: &PeakMeter, allowed_mib: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(5);
    while meter.now_mib() > allowed_mib && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    meter.now_mib()
}

async fn burst() {
    const CONNECTIONS: usize = 1_000;
    const CALLS: usize = 20;
    let server = rpc::start_server(
        Addr::tcp("127.0.0.1", 0),
        service(),
        ChannelOptions::default(),
    )
    .await
    .expect("server starts");
    let meter = PeakMeter::start();
    let started = Instant::now();
    let mut clients = JoinSet::new();
    for _ in 0..CONNECTIONS {
        let addr = server.addr().clone();
        clients.spawn(async move {
            let client = rpc::open_connection(&addr, ChannelOptions::default()).await?;
            let mut calls = JoinSet::new();
            for i in 0..CALLS as i64 {
                let remote = client.remote();
                calls.spawn(async move { remote.call("add", vec![i.into(), 1.into()]).await });
            }
            let mut ok = 0;
            while let Some(done) = calls.join_next().await {
                ok += usize::from(matches!(done, Ok(Ok(_))));
            }
            client.close().await;
            Ok::<_, aiomas::Error>(ok)
        });
    }
    let (mut ok, mut failed_connections) = (0, 0);
    while let Some(done) = clients.join_next().await {
        match done {
            Ok(Ok(n)) => ok += n,
            _ => failed_connections += 1,
        }
    }
    let elapsed = started.elapsed();
    let peak = meter.peak_mib();
    server.close().await;
    let after = settle(&meter, 1.0).await;
    println!(
        "burst: {CONNECTIONS} connections x {CALLS} calls: {ok} ok, {failed_connections} connections failed, \
         {:.2} s, {:.0} calls/s, peak +{peak:.1} MiB, after +{after:.1} MiB",
        elapsed.as_secs_f64(),
        ok as f64 / elapsed.as_secs_f64()
    );
}

/// A server, a meter started before anything connects, and a raw TCP connection to the server.
async fn server_and_raw_peer() -> (rpc::RpcServer, PeakMeter, TcpStream) {
    let server = rpc::start_server(
        Addr::tcp("127.0.0.1", 0),
        service(),
        ChannelOptions::default(),
    )
    .await
    .expect("server starts");
    let meter = PeakMeter::start();
    let socket = TcpStream::connect(("127.0.0.1", port(server.addr())))
        .await
        .unwrap();
    (server, meter, socket)
}

async fn slow_reader() {
    const PIPELINED: u64 = 20_000;
    let (server, meter, socket) = server_and_raw_peer().await;
    let (unread, mut writer) = socket.into_split();
    let flood = tokio::spawn(async move {
        let frames: Vec<u8> = (0..PIPELINED)
            .flat_map(|id| call_frame(id, "blob", "[]"))
            .collect();
        let _ = writer.write_all(&frames).await;
        writer
    });
    // A good client on its own connection, meanwhile.
    let good = rpc::open_connection(server.addr(), ChannelOptions::default())
        .await
        .unwrap();
    let started = Instant::now();
    let mut calls = 0_u64;
    while started.elapsed() < Duration::from_secs(3) {
        let sum = good.remote().call("add", vec![1.into(), 2.into()]).await;
        calls += u64::from(sum.is_ok());
    }
    let good_rate = calls as f64 / started.elapsed().as_secs_f64();
    let peak = meter.peak_mib();
    flood.abort();
    drop(unread);
    good.close().await;
    server.close().await;
    let after = settle(&meter, 1.0).await;
    println!(
        "slow reader: {PIPELINED} pipelined 4 KiB replies unread for 3 s: peak +{peak:.1} MiB, \
         after +{after:.1} MiB; a good client meanwhile: {good_rate:.0} calls/s"
    );
}

async fn flood() {
    const PIPELINED: u64 = 100_000;
    let (server, meter, socket) = server_and_raw_peer().await;
    socket.set_nodelay(true).unwrap();
    let (mut reader, mut writer) = socket.into_split();
    let started = Instant::now();
    let writing = tokio::spawn(async move {
        let frames: Vec<u8> = (0..PIPELINED)
            .flat_map(|id| call_frame(id, "add", "[1, 2]"))
            .collect();
        writer.write_all(&frames).await.unwrap();
        writer
    });
    // Count reply frames until all have come.
    let mut replies = 0_u64;
    let mut buffer = vec![0_u8; 256 * 1024];
    let mut pending: Vec<u8> = Vec::new();
    while replies < PIPELINED {
        let n = reader.read(&mut buffer).await.unwrap();
        assert!(n > 0, "the server hung up after {replies} replies");
        pending.extend_from_slice(&buffer[..n]);
        let mut at = 0;
        while pending.len() - at >= 4 {
            let size = u32::from_be_bytes(pending[at..at + 4].try_into().unwrap()) as usize;
            if pending.len() - at < 4 + size {
                break;
            }
            at += 4 + size;
            replies += 1;
        }
        pending.drain(..at);
    }
    let elapsed = started.elapsed();
    let peak = meter.peak_mib();
    drop(writing.await.unwrap());
    drop(reader);
    server.close().await;
    let after = settle(&meter, 1.0).await;
    println!(
        "flood: {PIPELINED} pipelined calls: {:.2} s, {:.0} calls/s, peak +{peak:.1} MiB, after +{after:.1} MiB",
        elapsed.as_secs_f64(),
        PIPELINED as f64 / elapsed.as_secs_f64()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument names the scenarios to run.
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs = |name: &str| wanted.is_empty() || wanted.iter().any(|w| w == name);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        if runs("burst") {
            burst().await;
        }
        if runs("slow") {
            slow_reader().await;
        }
        if runs("flood") {
            flood().await;
        }
    });
}
