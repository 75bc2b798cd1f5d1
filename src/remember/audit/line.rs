//! A record's JSON line, as `serde_json::to_writer` writes it, with the record's own keys
//! written as they are.
//!
//! serde_json scans every string it writes for characters to escape, a struct's field names
//! too: 26 of the 39 strings of an audit line are its keys, and their scan and the writes
//! around them were ≈ 2.5 k of the ≈ 7.4 k instructions a line cost (callgrind,
//! docs/benchmarks.md, "The guard's cost"). Field names are identifiers fixed by the derive,
//! so they never need escaping. [`Record`](super::record::Record) stays the one schema: this
//! only writes the top-level struct's keys and hands every value to serde_json.

use serde::ser::{Impossible, SerializeStruct, Serializer};
use serde::Serialize;

type Error = serde_json::Error;

/// Append `record`'s JSON (a struct; anything else is an error) to `out`: the same bytes as
/// `serde_json::to_writer(out, record)`.
pub fn write<T: Serialize + ?Sized>(out: &mut Vec<u8>, record: &T) -> Result<(), Error> {
    record.serialize(Top { out })
}

struct Top<'a> {
    out: &'a mut Vec<u8>,
}

/// The struct's fields, between its braces.
struct Fields<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        debug_assert!(
            key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
            "a field name needing no escape: {key}"
        );
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        value.serialize(&mut serde_json::Serializer::new(&mut *self.out))
    }

    fn end(self) -> Result<(), Error> {
        self.out.push(b'}');
        Ok(())
    }
}

fn not_a_struct() -> Error {
    serde::ser::Error::custom("sockeye: an audit line is written from a struct")
}

/// Every shape but a struct is refused: only records are written this way.
macro_rules! refuse {
    ($($name:ident($($arg:ty),*)),* $(,)?) => {
        $(fn $name(self, $(_: $arg),*) -> Result<(), Error> { Err(not_a_struct()) })*
    };
}

impl<'a> Serializer for Top<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Fields<'a>, Error> {
        self.out.push(b'{');
        Ok(Fields {
            out: self.out,
            first: true,
        })
    }

    refuse!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
        Err(not_a_struct())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(not_a_struct())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(not_a_struct())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_a_struct())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_a_struct())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_a_struct())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_a_struct())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remember::audit::record::Record;

    /// The bytes serde_json writes, for every shape a record's fields take: strings needing
    /// escapes, absent and present options, maps, floats, the fields left out when empty.
    #[test]
    fn a_record_line_is_the_bytes_serde_json_writes() {
        let line = r#"{"v":1,"time":"2026-12-07T18:00:00.123Z","time_unix":1796666400.123,"id":"2026-12-07T18:00:00.123Z#3.1","conn":3,"req":1,"host":"h\"q\u0001","caller":{"transport":"unix","uid":0,"pid":42,"process":"do\"cker","container":{"id":"abc","name":"web","labels":{"a":"b"}}},"endpoint":"ContainerCreate","section":"containers","action":"docker create --name \"a\\b\" busybox","method":"POST","path":"/v1.41/containers/create?name=a%5Cb","api_version":"1.41","params":{"name":"a\\b"},"decision":"deny","rule":"no-privileged","reason":"privileged\ncontainers","redacted":["env"],"policy_revision":"r1","status":403,"answered_by":"sockeye","bytes_in":120,"bytes_out":80,"duration_ms":0.25,"hijacked":false,"incomplete":true,"fault":"unreadable","error":"é ✓ \t","facts":{"privileged":true,"escalations":["privileged"]},"unrecorded":2}"#;
        let sparse = r#"{"v":1,"time":"t","time_unix":0.0,"id":"i","conn":1,"req":1,"caller":{"transport":"tcp","addr":"127.0.0.1:5000"},"endpoint":"SystemPing","section":null,"action":"docker ping","method":"GET","path":"/_ping","api_version":null,"params":{},"decision":null,"rule":null,"reason":null,"status":null,"answered_by":"daemon","bytes_in":0,"bytes_out":2,"duration_ms":1e-5,"hijacked":false,"incomplete":false,"error":null,"facts":{}}"#;
        for text in [line, sparse] {
            let record: Record = serde_json::from_str(text).expect("a record");
            let mut ours = Vec::new();
            write(&mut ours, &record).expect("writes");
            let theirs = serde_json::to_vec(&record).expect("serializes");
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap()
            );
        }
    }

    #[test]
    fn anything_but_a_struct_is_refused() {
        let mut out = Vec::new();
        let err = write(&mut out, &vec![1, 2]).unwrap_err();
        assert!(err.to_string().contains("written from a struct"), "{err}");
    }
}
