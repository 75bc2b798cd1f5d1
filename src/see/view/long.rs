//! Which calls the live view shows as they begin, not only when they end.

use crate::docker::endpoint::Streaming;
use crate::event::RequestHead;
use crate::see::action::query::Query;

/// Whether a call whose answer head just went out may go on for long after it: a session
/// (attach, exec), `logs -f`, `events`, `stats`, `wait`. Its one line would otherwise come
/// only at its end, after calls that began later (`docker run`'s start before its attach)
/// and never while it runs (`logs -f`). An error answer ends at once: no start line.
pub fn runs_long(head: &RequestHead, status: u16, session: bool) -> bool {
    if !(100..300).contains(&status) {
        return false;
    }
    if session || status == 101 {
        return true;
    }
    let query = || Query::parse(head.target.split_once('?').map_or("", |(_, q)| q));
    match head.route.streaming() {
        Some(
            Streaming::LongPoll
            | Streaming::Events
            | Streaming::RawHijack
            | Streaming::WebSocket
            | Streaming::H2c,
        ) => true,
        Some(Streaming::Logs) => query().flag("follow"),
        Some(Streaming::Stats) => {
            let q = query();
            q.flag_or("stream", true) && !q.flag("one-shot")
        }
        _ => false,
    }
}
