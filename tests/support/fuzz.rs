//! A seeded, mutational fuzz harness for the stable toolchain (no libFuzzer, no nightly).
//!
//! A target is an ordinary `#[test]`: it runs for a bounded time (or number of iterations),
//! from a fixed seed, so CI is reproducible; set `AIOMAS_FUZZ_SEED` to explore elsewhere,
//! `AIOMAS_FUZZ_SECS` / `AIOMAS_FUZZ_ITERS` to run longer or shorter. A panic inside the target
//! (a crash) fails the test with the seed, the iteration and the input in hex, so every
//! failure can be replayed.
//!
//! ```
//! use aiomas_tests::fuzz::Fuzz;
//! let corpus = vec![b"[0, 1, null]".to_vec()];
//! let report = Fuzz::new("doc").iterations(200).mutate(&corpus, |input| {
//!     let _ = aiomas::codec::Codec::Json.decode(input);
//! });
//! assert_eq!(report.runs, 200);
//! ```

use std::env;

use aiomas::codec::Codec;
use aiomas::Value;
use std::panic::{self, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// The seed of every target unless `AIOMAS_FUZZ_SEED` says otherwise.
pub const DEFAULT_SEED: u64 = 0x00a1_0a5a_f022_2026;

/// How long one target runs by default: long enough to find shallow bugs on every CI run,
/// short enough for several targets in `tests/run.sh`.
pub const DEFAULT_DURATION: Duration = Duration::from_secs(15);

/// A small deterministic PRNG (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// `true` with probability `1/n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// A random byte.
    pub fn byte(&mut self) -> u8 {
        self.next_u64() as u8
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What a fuzz run did.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// Inputs tried.
    pub runs: u64,
    /// The seed used.
    pub seed: u64,
}

/// One fuzz target's settings.
#[derive(Debug, Clone)]
pub struct Fuzz {
    name: String,
    seed: u64,
    duration: Duration,
    iterations: Option<u64>,
}

/// Bytes that often sit on format boundaries: markers, lengths, signs.
const INTERESTING: [u8; 16] = [
    0x00, 0x01, 0x7f, 0x80, 0xff, 0xc0, 0xc1, 0xdc, 0xdd, 0xde, 0xdf, b'"', b'\\', b'[', b'{', b'-',
];

impl Fuzz {
    /// The target `name`, with the seed, duration and iterations from the environment.
    pub fn new(name: &str) -> Self {
        let seed = env::var("AIOMAS_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(DEFAULT_SEED);
        let duration = env::var("AIOMAS_FUZZ_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .map_or(DEFAULT_DURATION, Duration::from_secs_f64);
        let iterations = env::var("AIOMAS_FUZZ_ITERS")
            .ok()
            .and_then(|s| s.parse().ok());
        Fuzz {
            name: name.to_owned(),
            seed,
            duration,
            iterations,
        }
    }

    /// Runs exactly `n` inputs (unless `AIOMAS_FUZZ_ITERS` is set), whatever the time.
    pub fn iterations(mut self, n: u64) -> Self {
        self.iterations = Some(self.iterations.unwrap_or(n));
        self
    }

    /// Scales the time budget (a target whose inputs are slow may take a share of it).
    pub fn duration(mut self, duration: Duration) -> Self {
        if env::var("AIOMAS_FUZZ_SECS").is_err() {
            self.duration = duration;
        }
        self
    }

    fn keep_going(&self, start: Instant, runs: u64) -> bool {
        match self.iterations {
            Some(n) => runs < n,
            None => start.elapsed() < self.duration,
        }
    }

    /// Feeds `target` mutations of the `corpus` entries (and the entries themselves).
    pub fn mutate(&self, corpus: &[Vec<u8>], mut target: impl FnMut(&[u8])) -> Report {
        assert!(!corpus.is_empty(), "{}: empty corpus", self.name);
        let mut rng = Rng::new(self.seed);
        let start = Instant::now();
        let mut runs = 0;
        while self.keep_going(start, runs) {
            let input = match corpus.get(runs as usize) {
                Some(entry) => entry.clone(),
                None => mutated(&mut rng, corpus),
            };
            self.guard(runs, || hex(&input), || target(&input));
            runs += 1;
        }
        self.report(runs)
    }

    /// Feeds `target` values made by `generate` (property tests, e.g. round trips).
    pub fn generate<T: std::fmt::Debug>(
        &self,
        mut generate: impl FnMut(&mut Rng) -> T,
        mut target: impl FnMut(&T),
    ) -> Report {
        let mut rng = Rng::new(self.seed);
        let start = Instant::now();
        let mut runs = 0;
        while self.keep_going(start, runs) {
            let input = generate(&mut rng);
            self.guard(runs, || format!("{input:.4096?}"), || target(&input));
            runs += 1;
        }
        self.report(runs)
    }

    /// Runs one input; a panic becomes a failure that says how to replay it.
    fn guard(&self, run: u64, show: impl FnOnce() -> String, f: impl FnOnce()) {
        if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(f)) {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("?");
            panic!(
                "fuzz target {} crashed on run {run} (AIOMAS_FUZZ_SEED={}): {message}\n\
                 input: {}",
                self.name,
                self.seed,
                show()
            );
        }
    }

    fn report(&self, runs: u64) -> Report {
        eprintln!("fuzz {}: {runs} runs, seed {}", self.name, self.seed);
        Report {
            runs,
            seed: self.seed,
        }
    }
}

/// `bytes` in hex (the first 4 KiB), with their length.
pub fn hex(bytes: &[u8]) -> String {
    let shown: String = bytes
        .iter()
        .take(4096)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{} bytes, hex {shown}", bytes.len())
}

/// Strings that have bent data before, or sit on JSON's edges.
const TRICKY_STRINGS: [&str; 12] = [
    "",
    "\u{0}NaN",
    "\u{0}Infinity",
    "\u{0}-Infinity",
    "NaN",
    "-Infinity",
    "\\u0000NaN",
    "\"quoted\" \\ / \n\r\t \u{1f} \u{7f}",
    "äöü ✓ 日本 🦀 \u{10ffff}",
    "__type__",
    "$aiomas::Extension",
    "18446744073709551616",
];

/// A random [`Value`] of at most `depth` levels: what `codec` can carry (no bytes in JSON, no
/// integers beyond 64 bits in MsgPack), integers and floats at their edges, tricky strings.
/// Map keys are strings for JSON and any scalar for MsgPack, never reserved ones.
pub fn arbitrary_value(rng: &mut Rng, codec: Codec, depth: usize) -> Value {
    let json = codec == Codec::Json;
    let kinds = if depth == 0 { 9 } else { 11 };
    match rng.below(kinds) {
        0 => Value::Nil,
        1 => Value::Bool(rng.one_in(2)),
        2 => Value::from(*rng.pick(&[
            0i64,
            1,
            -1,
            127,
            128,
            -32,
            -33,
            255,
            65_536,
            i64::MIN,
            i64::MAX,
        ])),
        3 => Value::from(rng.next_u64() >> rng.below(64)),
        4 if json => {
            let edge = *rng.pick(&[
                u64::MAX as i128 + 1,
                i64::MIN as i128 - 1,
                1 << 100,
                i128::MIN,
                i128::MAX,
            ]);
            let big = Value::from(edge.wrapping_add(rng.below(1000) as i128));
            match (rng.one_in(3), big) {
                (true, Value::BigInt(b)) => {
                    Value::BigInt(format!("{b}{}", rng.next_u64()).parse().unwrap())
                }
                (_, other) => other,
            }
        }
        4 => Value::Bytes((0..rng.below(40)).map(|_| rng.byte()).collect()),
        5 => Value::Float(f64::from_bits(rng.next_u64())),
        6 => Value::Float(*rng.pick(&[
            0.1,
            -0.0,
            5e-324,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            1e300,
            2.5,
        ])),
        7 => Value::from(*rng.pick(&TRICKY_STRINGS)),
        8 => Value::Str(
            (0..rng.below(20))
                .map(|_| char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('?'))
                .collect(),
        ),
        9 => Value::List(
            (0..rng.below(6))
                .map(|_| arbitrary_value(rng, codec, depth - 1))
                .collect(),
        ),
        _ => Value::Map(
            (0..rng.below(5))
                .map(|_| {
                    let key = match arbitrary_value(rng, codec, 0) {
                        Value::Str(s) if s.starts_with("$aiomas::") || s == "__type__" => {
                            Value::from("k")
                        }
                        Value::Str(s) => Value::Str(s),
                        other if json => Value::Str(other.to_string()),
                        Value::Float(f) if f.is_nan() => Value::Nil,
                        other => other,
                    };
                    (key, arbitrary_value(rng, codec, depth - 1))
                })
                .collect(),
        ),
    }
}

/// Equality that also holds for NaN (floats compare by their bits, NaN by being NaN).
pub fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())
        }
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| same_value(ka, kb) && same_value(va, vb))
        }
        _ => a == b,
    }
}

/// A corpus entry with 1 to 8 random edits (some spliced from another entry).
pub fn mutated(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut data = rng.pick(corpus).clone();
    for _ in 0..=rng.below(8) {
        let len = data.len();
        match rng.below(9) {
            0 if len > 0 => {
                let at = rng.below(len);
                data[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                data[at] = *rng.pick(&INTERESTING);
            }
            2 => {
                let at = rng.below(len + 1);
                data.insert(at, rng.byte());
            }
            3 if len > 0 => {
                let at = rng.below(len);
                let n = rng.below((len - at).min(16)) + 1;
                data.drain(at..at + n);
            }
            4 if len > 0 => {
                // Repeat a chunk: deep nesting, long runs.
                let at = rng.below(len);
                let n = rng.below((len - at).min(8)) + 1;
                let chunk = data[at..at + n].to_vec();
                for _ in 0..rng.below(64) {
                    data.splice(at..at, chunk.iter().copied());
                }
            }
            5 if len > 0 => data.truncate(rng.below(len)),
            6 => {
                // Splice in a piece of another entry.
                let other = rng.pick(corpus);
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let n = rng.below(other.len() - from) + 1;
                    let at = rng.below(len + 1);
                    data.splice(at..at, other[from..from + n].iter().copied());
                }
            }
            7 if len >= 4 => {
                // A 16- or 32-bit field set to an extreme: length claims, sizes.
                let at = rng.below(len - 3);
                let value = *rng.pick(&[0u32, 1, 0x7fff_ffff, 0xffff_ffff, 0x0010_0000]);
                data[at..at + 4].copy_from_slice(&value.to_be_bytes());
            }
            _ => {
                let at = rng.below(len + 1);
                data.insert(at, *rng.pick(&INTERESTING));
            }
        }
    }
    data
}
