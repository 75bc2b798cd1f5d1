//! The calls of one CLI invocation → the command that was typed.
//!
//! The CLI builds its commands from fixed call sequences (reference section 5): `docker run`
//! is create, attach (unless `-d`), wait and start; `docker exec` is inspect, exec create,
//! exec start and exec inspect; `docker logs NAME` looks NAME up and then asks for the logs
//! of the full ID. Each pattern below names the call that carries the command and the calls
//! that only serve it; whatever is left is listed as its own command.

use super::line::Line;
use super::query::Query;
use super::render::short;
use super::ActionRecord;
use crate::docker::endpoint::Operation;

use Operation as O;

/// Calls that never are a command of their own: version negotiation and terminal resizes.
fn plumbing(op: Operation) -> bool {
    matches!(
        op,
        O::SystemPingHead | O::SystemPing | O::ContainerResize | O::ExecResize
    )
}

/// Look-ups the CLI makes before acting (`docker network rm N` first inspects N). They are a
/// command only when nothing else happened (`docker inspect N`).
fn lookup(op: Operation) -> bool {
    matches!(
        op,
        O::ContainerInspect
            | O::ImageInspect
            | O::NetworkInspect
            | O::VolumeInspect
            | O::ExecInspect
            | O::ServiceInspect
            | O::NodeInspect
            | O::TaskInspect
            | O::SecretInspect
            | O::ConfigInspect
            | O::PluginInspect
            | O::SwarmInspect
    )
}

/// `docker run` (or `create`) carries these along: a pull when the image is missing, the
/// attach, wait and start, and — with the default `--sig-proxy` — a kill forwarding the
/// user's Ctrl-C.
const RUN: &[Operation] = &[
    O::ContainerCreate,
    O::ContainerStart,
    O::ContainerAttach,
    O::ContainerWait,
    O::ContainerInspect,
    O::ContainerKill,
    O::ContainerDelete,
    O::ImageCreate,
    O::ImageInspect,
];
const EXEC: &[Operation] = &[
    O::ContainerExec,
    O::ContainerInspect,
    O::ExecStart,
    O::ExecInspect,
];
const BUILD: &[Operation] = &[O::ImageBuild, O::Session, O::BuildCancel];
const ATTACH: &[Operation] = &[
    O::ContainerAttach,
    O::ContainerStart,
    O::ContainerWait,
    O::ContainerInspect,
    O::ContainerKill,
];
const LOGS: &[Operation] = &[O::ContainerLogs, O::ContainerInspect];
const COPY: &[Operation] = &[
    O::PutContainerArchive,
    O::ContainerArchive,
    O::ContainerArchiveInfo,
    O::ContainerInspect,
];

pub(crate) fn summarize(calls: &[ActionRecord]) -> String {
    steps(calls).join("; ")
}

/// The commands of one invocation, one each, in the order their calls arrived (a compose
/// up creates a network, then containers, then starts them: that is the order shown).
pub(crate) fn steps(calls: &[ActionRecord]) -> Vec<String> {
    let Some(first) = calls.first() else {
        return Vec::new();
    };
    if let Some(line) = looked_up(calls) {
        return vec![line.finish()];
    }
    let index = |c: &ActionRecord| calls.iter().position(|x| std::ptr::eq(x, c)).unwrap_or(0);
    let last = |op: Operation| calls.iter().rev().find(|c| c.op == Some(op));
    let has = |op: Operation| last(op).is_some();
    // Each command with the position of the call that carries it.
    let mut lines: Vec<(usize, Line)> = Vec::new();
    // The other calls' commands, which fold into their neighbours (`rm -f a b c`).
    let mut others: Vec<(usize, Line)> = Vec::new();
    let served: &[Operation] = if has(O::ContainerCreate) {
        for create in calls.iter().filter(|c| c.op == Some(O::ContainerCreate)) {
            let mut line = create.line(None);
            if has(O::ContainerStart) {
                line.set_command("run");
                if !has(O::ContainerAttach) {
                    line.insert_flag("-d");
                }
            }
            // A create retried after pulling the image is the same command again.
            if !lines.iter().any(|(_, l)| *l == line) {
                lines.push((index(create), line));
            }
        }
        RUN
    } else if let Some(exec) = last(O::ContainerExec) {
        lines.push((index(exec), exec.line(None)));
        EXEC
    } else if let Some(build) = last(O::ImageBuild) {
        lines.push((index(build), build.line(None)));
        BUILD
    } else if let Some(attach) = last(O::ContainerAttach) {
        let line = match last(O::ContainerStart) {
            // `docker start -a [-i] C`.
            Some(start) => {
                let mut l = Line::docker("start -a");
                let q = Query::parse(attach.query());
                l.flag_if(q.flag("stdin"), "-i")
                    .object(short(start.route.object().unwrap_or("")));
                l
            }
            None => attach.line(None),
        };
        lines.push((index(attach), line));
        ATTACH
    } else if let Some(logs) = last(O::ContainerLogs) {
        lines.push((index(logs), logs.line(typed_name(calls, logs))));
        LOGS
    } else if let Some(copy) = last(O::PutContainerArchive).or(last(O::ContainerArchive)) {
        lines.push((index(copy), copy.line(None)));
        COPY
    } else {
        &[]
    };

    let rest: Vec<(usize, &ActionRecord)> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| match c.op {
            Some(op) => !plumbing(op) && !served.contains(&op),
            None => true,
        })
        .collect();
    let only_lookups = lines.is_empty() && rest.iter().all(|(_, c)| c.op.is_some_and(lookup));
    for (i, call) in rest {
        if call.op.is_some_and(lookup) && !only_lookups {
            continue;
        }
        others.push((i, call.line(None)));
    }
    if lines.is_empty() && others.is_empty() {
        // Nothing but version negotiation.
        lines.push((0, first.line(None)));
    }
    let mut all: Vec<(usize, bool, Line)> = lines
        .into_iter()
        .map(|(i, l)| (i, false, l))
        .chain(others.into_iter().map(|(i, l)| (i, true, l)))
        .collect();
    all.sort_by_key(|(i, ..)| *i);
    let mut merged: Vec<Line> = Vec::new();
    for (_, mergeable, line) in all {
        if mergeable {
            push_merged(&mut merged, line);
        } else {
            merged.push(line);
        }
    }
    merged.iter().map(Line::finish).collect()
}

/// Commands that only looked one name up, told apart by which look-ups they made:
/// - `docker inspect NAME` tries each kind of object in turn (container, image, network,
///   volume, then `info` and the swarm kinds) until one is found: several kinds of look-up;
/// - `docker attach NAME` (CLI 28) waits for and inspects the container at once, and stops
///   when neither finds it;
/// - `docker logs`, `exec`, `attach` (CLI 20.10), `port` and `container inspect` all begin
///   with a container look-up: when it finds nothing, that one failed call is all there is,
///   and it cannot say which of them was typed — so the step says so rather than guess.
fn looked_up(calls: &[ActionRecord]) -> Option<Line> {
    let acting: Vec<&ActionRecord> = calls
        .iter()
        .filter(|c| !c.op.is_some_and(plumbing))
        .collect();
    let name = acting
        .iter()
        .find(|c| c.op.is_some_and(|o| lookup(o) || o == O::ContainerWait))?
        .route
        .object()?;
    let on_name = |c: &&ActionRecord| c.route.object() == Some(name);
    let ops = |allowed: &dyn Fn(Operation) -> bool| {
        acting
            .iter()
            .all(|c| c.op.is_some_and(allowed) && (c.op == Some(O::SystemInfo) || on_name(c)))
    };
    let mut kinds: Vec<Operation> = Vec::new();
    for op in acting.iter().filter_map(|c| c.op).filter(|&o| lookup(o)) {
        if !kinds.contains(&op) {
            kinds.push(op);
        }
    }
    if kinds.len() >= 2 && ops(&|o| lookup(o) || o == O::SystemInfo) {
        let mut l = Line::docker("inspect");
        l.object(short(name));
        return Some(l);
    }
    let has = |op: Operation| acting.iter().any(|c| c.op == Some(op));
    if has(O::ContainerWait)
        && has(O::ContainerInspect)
        && ops(&|o| matches!(o, O::ContainerWait | O::ContainerInspect))
    {
        let mut l = Line::docker("attach");
        l.object(short(name));
        return Some(l);
    }
    let not_found = acting.iter().all(|c| c.status == Some(404));
    if not_found && ops(&|o| o == O::ContainerInspect) {
        let mut l = Line::docker("logs|exec|attach|port|container inspect");
        l.object(short(name))
            .raw("(no such container: the command stopped at its look-up)");
        return Some(l);
    }
    None
}

/// `docker logs NAME` reaches the daemon as an inspect of NAME followed by the logs of the
/// full ID the inspect returned; show the name that was typed.
fn typed_name<'c>(calls: &'c [ActionRecord], logs: &ActionRecord) -> Option<&'c str> {
    let id = logs.route.object()?;
    if short(id) == id {
        return None;
    }
    let mut names = calls
        .iter()
        .filter(|c| c.op == Some(O::ContainerInspect))
        .filter_map(|c| c.route.object());
    let name = names.next()?;
    names.all(|n| n == name).then_some(name)
}

/// Fold a command into the previous one when only the object differs (`docker rm -f a b c`
/// arrives as three deletes), and drop exact repeats.
fn push_merged(lines: &mut Vec<Line>, line: Line) {
    if let Some(prev) = lines.last_mut() {
        if *prev == line {
            return;
        }
        if prev.same_but_object(&line) {
            if let Some(object) = line.object_word() {
                prev.add_object(object);
            }
            return;
        }
    }
    lines.push(line);
}
