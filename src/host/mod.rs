//! What the host gives a long-running process, and what it expects back: the file
//! descriptor limit, sockets passed by systemd and readiness told to it, and the signal that
//! asks for configuration to be read again. No Docker here; `cmd::proxy` wires these in.

pub mod fdlimit;
pub mod reload;
pub mod systemd;
