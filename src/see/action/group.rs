//! Which calls belong to one docker command: the grouping the module docs describe, kept
//! as calls arrive, so a live view and the trace summary group alike.

use std::collections::HashMap;

use crate::docker::endpoint::Operation;

/// Assigns each call to the command (group) it belongs to, in arrival order.
#[derive(Debug, Default)]
pub struct Grouper {
    /// Open group per client key: its id, and whether it holds only pings so far.
    open: HashMap<String, (u64, bool)>,
    next: u64,
}

/// Most clients remembered with an open group: a long-running inspector sees many pids
/// come and go, and a forgotten one only starts a new group.
const MAX_OPEN: usize = 10_000;

impl Grouper {
    /// The group of a call from `client` (a pid, or a connection when the pid is unknown)
    /// to `op`. A ping opens a new group, unless the group so far is only pings (the CLI
    /// retries a failed `HEAD /_ping` as `GET /_ping`). Group ids count up from 0.
    pub fn assign(&mut self, client: &str, op: Option<Operation>) -> u64 {
        let ping = matches!(op, Some(Operation::SystemPing | Operation::SystemPingHead));
        if let Some(&(id, only_pings)) = self.open.get(client) {
            if !ping || only_pings {
                self.open
                    .insert(client.to_owned(), (id, only_pings && ping));
                return id;
            }
        }
        if self.open.len() >= MAX_OPEN {
            self.open.clear();
        }
        let id = self.next;
        self.next += 1;
        self.open.insert(client.to_owned(), (id, ping));
        id
    }
}

/// The grouping key of a caller: its pid when the socket told it, else its connection.
pub fn client_key(pid: Option<i32>, conn: u64) -> String {
    match pid {
        Some(pid) => format!("pid {pid}"),
        None => format!("conn {conn}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Operation::*;

    #[test]
    fn a_ping_starts_a_new_command_unless_only_pings_came_before() {
        let mut g = Grouper::default();
        let a = g.assign("pid 1", Some(SystemPingHead));
        assert_eq!(g.assign("pid 1", Some(SystemPing)), a, "a retried ping");
        assert_eq!(g.assign("pid 1", Some(ContainerList)), a);
        let other = g.assign("pid 2", Some(ImageList));
        assert_ne!(other, a, "another process is another command");
        let b = g.assign("pid 1", Some(SystemPingHead));
        assert_ne!(b, a, "the next command of the same process");
        assert_eq!(g.assign("pid 1", Some(ContainerCreate)), b);
    }
}
