//! Seeing calls: the docker command a call stands for, what is a secret, stream decoders,
//! the live views and the exports.

pub mod action;
pub mod decode;
pub mod describe;
pub mod export;
pub mod redact;
pub mod ui;
pub mod view;
