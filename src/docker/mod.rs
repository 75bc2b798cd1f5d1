//! Pure Docker knowledge, no I/O: which endpoint a request is as dockerd routes it, bodies and
//! queries read with Go's rules, the security facts of a request, and Go's time formats.

pub mod buildkit;
pub mod endpoint;
pub mod facts;
pub mod gojson;
pub mod owner;
pub mod shape;
pub mod state;
pub mod time;
