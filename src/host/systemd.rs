//! systemd's side of a service: listening sockets passed at start (socket activation:
//! `LISTEN_FDS`, `LISTEN_PID`, `LISTEN_FDNAMES`, the sockets at fd 3 onwards) and readiness
//! told back (`READY=1` on the datagram socket named by `NOTIFY_SOCKET`).

use std::io;
use std::os::unix::net::UnixDatagram;

/// A listening socket systemd passed, with the name its `.socket` unit gave it.
#[derive(Debug)]
pub enum Passed {
    Tcp(std::net::TcpListener, String),
    Unix(std::os::unix::net::UnixListener, String),
}

/// Whether systemd passed this process sockets: `LISTEN_FDS` is set and `LISTEN_PID`, when
/// set, is ours (a variable inherited by a child is not for the child).
pub fn activated() -> bool {
    let ours = match std::env::var("LISTEN_PID") {
        Err(_) => true,
        Ok(pid) => pid.trim().parse::<u32>().ok() == Some(std::process::id()),
    };
    ours && std::env::var("LISTEN_FDS").is_ok_and(|n| n.trim().parse::<u32>().is_ok_and(|n| n > 0))
}

/// Take the passed sockets (once: the variables are removed, so children do not see them).
/// Each must be a listening stream socket, TCP or Unix.
pub fn take() -> Result<Vec<Passed>, String> {
    let names: Vec<String> = std::env::var("LISTEN_FDNAMES")
        .map(|n| n.split(':').map(str::to_owned).collect())
        .unwrap_or_default();
    std::env::remove_var("LISTEN_FDNAMES");
    let mut fds = listenfd::ListenFd::from_env();
    let mut passed = Vec::with_capacity(fds.len());
    for i in 0..fds.len() {
        let name = names
            .get(i)
            .filter(|n| !n.is_empty())
            .cloned()
            .unwrap_or_else(|| format!("fd {}", 3 + i));
        // Unix first: listenfd's TCP check takes any socket whose address family it reads
        // as INET, and a Unix socket's is never that.
        let socket = match fds.take_unix_listener(i) {
            Ok(Some(l)) => Passed::Unix(l, name),
            _ => match fds.take_tcp_listener(i) {
                Ok(Some(l)) => Passed::Tcp(l, name),
                Ok(None) => return Err(format!("socket {name} was already taken")),
                Err(e) => {
                    return Err(format!(
                        "socket {name} from systemd is not a listening TCP or Unix stream \
                         socket: {e}"
                    ))
                }
            },
        };
        passed.push(socket);
    }
    Ok(passed)
}

/// Tell the service manager `state` (`READY=1`, `STOPPING=1`, `RELOADING=1`, `STATUS=…`).
/// `Ok(false)` when nobody asked (no `NOTIFY_SOCKET`).
pub fn notify(state: &str) -> io::Result<bool> {
    let Some(target) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(false);
    };
    let sock = UnixDatagram::unbound()?;
    let bytes = target.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        // An abstract socket: no file, the name after the '@'.
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        sock.send_to_addr(state.as_bytes(), &addr)?;
    } else {
        sock.send_to(state.as_bytes(), &target)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readiness_reaches_the_socket_named_by_notify_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        // The only test that touches NOTIFY_SOCKET.
        std::env::set_var("NOTIFY_SOCKET", &path);
        assert!(notify("READY=1\nSTATUS=relaying").unwrap());
        std::env::remove_var("NOTIFY_SOCKET");
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=relaying");
        assert!(!notify("READY=1").unwrap());
    }
}
