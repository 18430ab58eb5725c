//! NumPy arrays as extension objects: the serializer of the aiomas docs ("How do I add
//! serializers for additional object types?") in Rust, and an agent that computes with them.
//!
//! Python registers the docs' `get_np_serializer` in `extra_serializers`; Rust registers
//! [`NdArray::NAME`] in the same position. Shared by `examples/numpy_ext.rs` and the interop
//! test with real NumPy (`tests/tests/types_interop.rs`).

use aiomas::agent::ContainerOptions;
use aiomas::codec::Codec;
use aiomas::rpc::Exception;
use aiomas::{Bytes, ExtensionType, Value};

/// A NumPy array as `_serialize_ndarray` sends it: `{"type": dtype.str, "shape": shape,
/// "data": bytes}`.
#[derive(Debug, Clone, PartialEq, aiomas::ExtensionType)]
#[aiomas(name = "ndarray")]
pub struct NdArray {
    /// NumPy's `dtype.str`, e.g. `"<f8"` for little-endian 64-bit floats.
    #[serde(rename = "type")]
    pub dtype: String,
    /// The length of each dimension.
    pub shape: Vec<usize>,
    /// The elements' bytes in C order (MsgPack `bin`, Python `bytes`).
    pub data: Bytes,
}

/// `dtype.str` of `float64` on little-endian machines.
pub const F64: &str = "<f8";

impl NdArray {
    /// A `float64` array of `shape` holding `values` in C order.
    pub fn from_f64(shape: Vec<usize>, values: &[f64]) -> NdArray {
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        NdArray {
            dtype: F64.to_owned(),
            shape,
            data: Bytes::from(data),
        }
    }

    /// The elements of a `float64` array, in C order.
    pub fn to_f64(&self) -> Result<Vec<f64>, Exception> {
        if self.dtype != F64 {
            return Err(Exception::new(
                "TypeError",
                format!("unsupported dtype {:?} (expected {F64:?})", self.dtype),
            ));
        }
        let len: usize = self.shape.iter().product();
        if self.data.len() != len * 8 {
            return Err(Exception::new(
                "ValueError",
                format!(
                    "{} bytes do not fill the shape {:?}",
                    self.data.len(),
                    self.shape
                ),
            ));
        }
        let element = |chunk: &[u8]| {
            let mut bytes = [0; 8];
            bytes.copy_from_slice(chunk);
            f64::from_le_bytes(bytes)
        };
        Ok(self.data.chunks_exact(8).map(element).collect())
    }
}

/// Container options for arrays: MsgPack (JSON cannot carry bytes) and the NumPy serializer
/// after the Arrow dates, as `Container.create(..., codec=aiomas.MsgPack,
/// extra_serializers=[get_np_serializer])` registers them.
pub fn array_options() -> ContainerOptions {
    ContainerOptions::default()
        .codec(Codec::MsgPack)
        .extra_serializer(NdArray::NAME)
}

/// An agent that computes with arrays.
pub struct ArrayAgent;

#[aiomas::agent]
impl ArrayAgent {
    /// `array * factor`, with the array's shape.
    #[expose]
    fn scale(&self, array: NdArray, factor: f64) -> Result<NdArray, Exception> {
        let values: Vec<f64> = array.to_f64()?.iter().map(|v| v * factor).collect();
        Ok(NdArray::from_f64(array.shape, &values))
    }

    /// The shape of an array taken as a plain `Value`: `data()` looks through the wrapper.
    #[expose]
    fn shape(&self, array: Value) -> Result<Value, Exception> {
        match (array.extension_name(), array.data().get("shape")) {
            (Some(NdArray::NAME), Some(shape)) => Ok(shape.clone()),
            _ => Err(Exception::new(
                "TypeError",
                format!("expected an ndarray, got {array}"),
            )),
        }
    }
}
