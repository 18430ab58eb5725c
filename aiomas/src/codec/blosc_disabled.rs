//! Stands in for the c-blosc wrapper when the crate is built without its `blosc` feature:
//! [`Codec::MsgPackBlosc`](super::Codec::MsgPackBlosc) stays a name the crate knows (so matches
//! on `Codec` compile with and without the feature), and every use of it fails with
//! [`unavailable`].

use crate::Error;

/// The error for using `msgpack-blosc` in a build without the `blosc` feature.
pub(crate) fn unavailable() -> Error {
    Error::Value(
        "the msgpack-blosc codec is not compiled in: enable the `blosc` feature of aiomas \
         (on by default)"
            .into(),
    )
}

pub(crate) fn compress(_data: &[u8], _typesize: usize) -> Result<Vec<u8>, Error> {
    Err(unavailable())
}

pub(crate) fn decompress(_frame: &[u8], _max_decompressed: usize) -> Result<Vec<u8>, Error> {
    Err(unavailable())
}
