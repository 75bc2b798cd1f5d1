//! JSON read the way dockerd's Go decoder sees it, where serde's defaults would differ.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;

/// A JSON object's members in document order, duplicates kept.
///
/// Go's `encoding/json` applies duplicate keys one after another (the last wins, objects
/// merge) and matches keys case-insensitively; a map type would silently pick one.
#[derive(Debug, Default, PartialEq)]
pub struct Pairs(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    pairs.push((k, v));
                }
                Ok(Pairs(pairs))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Pairs, E> {
                // `null` decodes into a Go struct as "nothing set".
                Ok(Pairs::default())
            }
        }
        d.deserialize_any(PairsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_kept_in_document_order() {
        let p: Pairs = serde_json::from_str(r#"{"a":1,"A":2,"a":3}"#).unwrap();
        let keys: Vec<_> = p.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(keys, ["a=1", "A=2", "a=3"]);
    }

    #[test]
    fn trailing_data_is_an_error() {
        assert!(serde_json::from_str::<Pairs>(r#"{"a":1}{"b":2}"#).is_err());
    }
}
