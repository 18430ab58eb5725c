//! What the direct-decode tests of every format share: the wire format they decode with and the
//! types they decode into (read back through `Debug`, so both paths' outcomes compare as text).

use serde::Deserialize;

use super::super::{Codec, Serializers, WireFormat};

/// `codec` with an extension type (`arrow`) and service references, bound as a connection binds.
pub(crate) fn test_format(codec: Codec) -> WireFormat {
    WireFormat::new(
        codec,
        Serializers::new().with_type("arrow").with_service_refs(),
    )
    .bind(5, None)
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)] // read through Debug
pub(crate) struct Msg {
    id: i64,
    values: Vec<f64>,
    name: String,
    tag: Option<String>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
pub(crate) enum Shape {
    Dot,
    Circle(f64),
    Rect { w: u32, h: u32 },
    Pair(i8, i8),
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
pub(crate) struct Meters(f64);

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
pub(crate) struct Unit;

/// Scalars decoded into targets of another kind, given as JSON to `$same` (a test's
/// `same::<T>(json, direct)`, which compares the direct decode with the `Value` path): each
/// fails, or converts, as through a value, on the direct path.
macro_rules! scalars_of_another_kind {
    ($same:ident) => {
        $same::<bool>("1", true);
        $same::<i64>("true", true);
        $same::<String>("2.5", true);
        $same::<u64>("-1", true);
        $same::<f64>(r#""x""#, true);
        $same::<Vec<u8>>(r#""ab""#, true);
        $same::<Option<f64>>("7", true);
        $same::<(u8,)>("3", true);
    };
}
pub(crate) use scalars_of_another_kind;
