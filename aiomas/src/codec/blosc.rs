//! A safe wrapper around the vendored c-blosc 1.x, byte-compatible with python-blosc.
//!
//! Only the context functions (`blosc_*_ctx`) are used: they need no `blosc_init()`, take no
//! global lock and keep all their state per call, so any number of tasks may call them at once.
//! Nothing here changes c-blosc's global settings: the context functions still read its split
//! mode, and its default is what python-blosc uses.
#![allow(unsafe_code)]

use std::ffi::{c_int, c_void};

use blosc_src::{
    blosc_cbuffer_validate, blosc_compress_ctx, blosc_decompress_ctx, BLOSC_MAX_BUFFERSIZE,
    BLOSC_MAX_OVERHEAD, BLOSC_MAX_TYPESIZE, BLOSC_MIN_HEADER_LENGTH, BLOSC_SHUFFLE,
};

use crate::Error;

/// python-blosc's default compression level.
const CLEVEL: c_int = 9;
/// Internal blosc threads per call; more would compete with the async runtime's workers.
const THREADS: c_int = 1;
const HEADER_LEN: usize = BLOSC_MIN_HEADER_LENGTH as usize;
const MAX_BUFFER: usize = BLOSC_MAX_BUFFERSIZE as usize;

/// Compresses `data` like python-blosc's `blosc.compress(data, typesize)` (clevel 9, byte
/// shuffle, blosclz).
///
/// The bytes equal python-blosc's when it runs single-threaded. With its default thread pool,
/// python-blosc may store the blocks of large buffers in another order; both sides decode
/// either layout.
pub(crate) fn compress(data: &[u8], typesize: usize) -> Result<Vec<u8>, Error> {
    // c-blosc would quietly fall back to unshuffled data for these; python-blosc refuses them.
    if typesize == 0 || typesize > BLOSC_MAX_TYPESIZE as usize {
        return Err(Error::Serialization(format!(
            "invalid blosc typesize {typesize}"
        )));
    }
    if data.len() > MAX_BUFFER {
        return Err(Error::Serialization(format!(
            "{} bytes exceed blosc's maximum buffer size of {MAX_BUFFER} bytes",
            data.len()
        )));
    }
    // With this much room blosc always succeeds, storing the data uncompressed if need be.
    let mut out = vec![0u8; data.len() + BLOSC_MAX_OVERHEAD as usize];
    // SAFETY: `data` is readable for `data.len()` bytes and `out` is a distinct, writable
    // buffer of exactly the size we pass as `destsize`, which blosc never writes beyond.
    // The compressor name is a NUL-terminated static string. The context function keeps no
    // pointers after returning and writes no global state, so concurrent calls are fine.
    let written = unsafe {
        blosc_compress_ctx(
            CLEVEL,
            BLOSC_SHUFFLE as c_int,
            typesize,
            data.len(),
            data.as_ptr().cast::<c_void>(),
            out.as_mut_ptr().cast::<c_void>(),
            out.len(),
            c"blosclz".as_ptr(),
            0, // automatic block size, as python-blosc uses
            THREADS,
        )
    };
    if written <= 0 {
        return Err(Error::Serialization(format!(
            "blosc compression failed (code {written})"
        )));
    }
    out.truncate(written as usize);
    Ok(out)
}

/// Validates the 16-byte blosc header against `frame.len()` and `max_decompressed` BEFORE
/// allocating, then decompresses.
pub(crate) fn decompress(frame: &[u8], max_decompressed: usize) -> Result<Vec<u8>, Error> {
    let header = frame.get(..HEADER_LEN).ok_or_else(|| {
        Error::Protocol(format!(
            "blosc frame of {} bytes is shorter than its {HEADER_LEN}-byte header",
            frame.len()
        ))
    })?;
    let le_u32 = |at: usize| {
        let bytes = [header[at], header[at + 1], header[at + 2], header[at + 3]];
        u32::from_le_bytes(bytes) as usize
    };
    let (nbytes, cbytes) = (le_u32(4), le_u32(12));
    // c-blosc bounds its reads by the header's `cbytes`, so a frame that lies about its own
    // length would make it read past the end of our buffer.
    if cbytes != frame.len() {
        return Err(Error::Protocol(format!(
            "blosc header claims {cbytes} compressed bytes but the frame has {}",
            frame.len()
        )));
    }
    // Checked before allocating so a tiny hostile frame cannot make us reserve gigabytes.
    if nbytes > max_decompressed {
        return Err(Error::FrameTooLarge {
            size: nbytes,
            limit: max_decompressed,
        });
    }
    if nbytes > MAX_BUFFER {
        return Err(Error::Protocol(format!(
            "blosc header claims {nbytes} decompressed bytes"
        )));
    }
    let mut validated_nbytes = 0usize;
    // SAFETY: `frame` is readable for `frame.len()` bytes, at least the 16 header bytes this
    // function reads, and `validated_nbytes` is a valid, exclusive out-pointer.
    let valid = unsafe {
        blosc_cbuffer_validate(
            frame.as_ptr().cast::<c_void>(),
            frame.len(),
            &mut validated_nbytes,
        )
    };
    // Our own checks mirror this one except for the format version; running the library's
    // check is what its documentation requires before calling `blosc_decompress_ctx`.
    if valid != 0 || validated_nbytes != nbytes {
        return Err(Error::Protocol("invalid blosc header".to_owned()));
    }
    let mut out = vec![0u8; nbytes];
    // SAFETY: `blosc_cbuffer_validate` accepted `frame` as a whole buffer of `frame.len()`
    // bytes, which is the documented precondition for a safe decompression attempt. `out` is
    // a distinct, writable buffer of exactly `destsize` bytes, which blosc never writes
    // beyond, and the context function keeps no pointers and writes no global state.
    let written = unsafe {
        blosc_decompress_ctx(
            frame.as_ptr().cast::<c_void>(),
            out.as_mut_ptr().cast::<c_void>(),
            out.len(),
            THREADS,
        )
    };
    // Blosc reports corrupt data as 0 or negative, but 0 is also the size of an empty payload.
    if written < 0 || written as usize != nbytes {
        return Err(Error::Protocol(format!(
            "corrupt blosc frame (code {written})"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 4 << 20;

    fn patterned(len: usize) -> Vec<u8> {
        (0..len).map(|i| ((i % 251) ^ (i / 1024)) as u8).collect()
    }

    fn unhex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    /// A frame with the given header sizes and a body of `body` bytes that are not blosc data.
    fn forged(nbytes: u32, body: &[u8]) -> Vec<u8> {
        let mut frame = vec![2, 1, 0x11, 8];
        frame.extend_from_slice(&nbytes.to_le_bytes());
        frame.extend_from_slice(&nbytes.to_le_bytes()); // block size
        frame.extend_from_slice(&((HEADER_LEN + body.len()) as u32).to_le_bytes());
        frame.extend_from_slice(body);
        frame
    }

    fn assert_protocol(result: Result<Vec<u8>, Error>) {
        assert!(matches!(result, Err(Error::Protocol(_))), "{result:?}");
    }

    #[test]
    fn round_trips_various_sizes() {
        for len in [0, 1, 7, 8, 1000, 1 << 20] {
            let data = patterned(len);
            let frame = compress(&data, 8).unwrap();
            assert!(frame.len() <= len + BLOSC_MAX_OVERHEAD as usize);
            if len >= 1000 {
                assert!(
                    frame.len() < len / 2,
                    "{len} bytes only shrank to {}",
                    frame.len()
                );
            }
            assert_eq!(decompress(&frame, LIMIT).unwrap(), data, "len {len}");
        }
    }

    #[test]
    fn rejects_invalid_typesize() {
        assert!(matches!(compress(b"abc", 0), Err(Error::Serialization(_))));
        assert!(matches!(
            compress(b"abc", 256),
            Err(Error::Serialization(_))
        ));
    }

    #[test]
    fn rejects_lying_cbytes() {
        let frame = compress(&patterned(1000), 8).unwrap();
        for claimed in [frame.len() as u32 - 1, frame.len() as u32 + 1, u32::MAX] {
            let mut bad = frame.clone();
            bad[12..16].copy_from_slice(&claimed.to_le_bytes());
            assert_protocol(decompress(&bad, LIMIT));
        }
    }

    #[test]
    fn rejects_truncated_frames() {
        let frame = compress(&patterned(1000), 8).unwrap();
        for len in [0, 1, HEADER_LEN - 1, HEADER_LEN, frame.len() - 1] {
            assert_protocol(decompress(&frame[..len], LIMIT));
        }
    }

    #[test]
    fn rejects_frames_over_the_limit_before_allocating() {
        // Only the pre-allocation check yields `FrameTooLarge`; blosc itself would just fail.
        let frame = forged(BLOSC_MAX_BUFFERSIZE, &[0; 8]);
        match decompress(&frame, 1024) {
            Err(Error::FrameTooLarge { size, limit }) => {
                assert_eq!((size, limit), (BLOSC_MAX_BUFFERSIZE as usize, 1024));
            }
            other => panic!("expected FrameTooLarge, got {other:?}"),
        }
        let frame = compress(&patterned(1025), 8).unwrap();
        assert!(matches!(
            decompress(&frame, 1024),
            Err(Error::FrameTooLarge { .. })
        ));
        assert!(decompress(&frame, 1025).is_ok());
    }

    #[test]
    fn rejects_sizes_blosc_cannot_handle_even_without_a_limit() {
        assert_protocol(decompress(&forged(u32::MAX, &[0; 8]), usize::MAX));
    }

    #[test]
    fn rejects_garbage() {
        assert_protocol(decompress(&[0xAB; 64], LIMIT));
        let mut wrong_version = compress(&patterned(1000), 8).unwrap();
        wrong_version[0] = 3;
        assert_protocol(decompress(&wrong_version, LIMIT));

        // Headers that pass the length checks in front of random bodies reach the C decoder,
        // which must fail cleanly rather than read or write out of bounds.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..2000 {
            let body: Vec<u8> = (0..next() % 300).map(|_| next() as u8).collect();
            let mut frame = forged((next() % 5000) as u32 + 1, &body);
            frame[2] = next() as u8 & 0x17; // random filter and memcpy flags, always blosclz
            frame[8..12].copy_from_slice(&((next() % 5000) as u32 + 1).to_le_bytes());
            let claimed = u32::from_le_bytes(frame[4..8].try_into().unwrap()) as usize;
            match decompress(&frame, LIMIT) {
                Ok(data) => assert_eq!(data.len(), claimed),
                Err(err) => assert!(matches!(err, Error::Protocol(_)), "{err:?}"),
            }
        }
    }

    /// Output of python-blosc 1.11.4 (c-blosc 1.21.7.dev), `blosc.compress(input, typesize=8)`.
    #[test]
    fn matches_python_blosc_bytes() {
        // b''.join((i * 3).to_bytes(8, 'little') for i in range(25))
        let counters: Vec<u8> = (0..25u64).flat_map(|i| (i * 3).to_le_bytes()).collect();
        // (b'aiomas blosc ' * 20)[:200]
        let text: Vec<u8> = b"aiomas blosc ".iter().copied().cycle().take(200).collect();
        let cases = [
            (
                counters,
                "02011108c8000000c800000039000000140000002100000039000306090c0f12\
                 15181b1e2124272a2d303336393c3f42454800e0a300010000",
            ),
            (
                text,
                "02011108c8000000c800000057000000140000003f0000002c616c6d6320696f\
                 6120626f7373e0030ce00b136020a006e00934e00b136055a006006ce00820e0\
                 0b13608aa006e005910373616c6de00b13046320696f61",
            ),
        ];
        for (input, python_hex) in cases {
            let python = unhex(python_hex);
            assert_eq!(input.len(), 200);
            assert_eq!(decompress(&python, LIMIT).unwrap(), input);
            assert_eq!(compress(&input, 8).unwrap(), python);
        }
    }
}
