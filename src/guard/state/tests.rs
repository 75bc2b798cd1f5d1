//! Lookups against a daemon stand-in that answers from a table and counts its calls.

use std::sync::atomic::AtomicUsize;

use super::*;
use crate::docker::state::Role;

struct Table {
    answers: Vec<(&'static str, u16, &'static str)>,
    calls: Arc<AtomicUsize>,
}

impl Daemon for Table {
    fn get(&self, path: String) -> Fetched<'_> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let found = self
            .answers
            .iter()
            .find(|(p, _, _)| *p == path)
            .map(|(_, s, b)| (*s, Bytes::from_static(b.as_bytes())));
        Box::pin(async move { found.ok_or_else(|| format!("connection refused ({path})")) })
    }
}

const VOLUME: &str =
    r#"{"Name":"data","Driver":"local","Options":{"type":"none","o":"bind","device":"/"}}"#;

fn state(answers: Vec<(&'static str, u16, &'static str)>) -> (DaemonState, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let table = Table {
        answers,
        calls: calls.clone(),
    };
    (DaemonState::new(Box::new(table)), calls)
}

fn volume_ref(name: &str) -> Reference {
    Reference {
        kind: Kind::Volume,
        name: name.into(),
        role: Role::Volume,
    }
}

#[tokio::test]
async fn a_missing_container_is_the_daemons_own_no_such_container() {
    let (s, _) = state(vec![(
        "/containers/ghost/json",
        404,
        r#"{"message":"No such container: ghost"}"#,
    )]);
    let r = Reference {
        kind: Kind::Container,
        name: "ghost".into(),
        role: Role::Target,
    };
    assert_eq!(
        s.resolve(&[r]).await.unwrap_err(),
        Unresolved::Missing {
            message: "No such container: ghost".into()
        }
    );
}

#[tokio::test]
async fn a_daemon_that_does_not_answer_refuses_the_decision_instead_of_guessing() {
    let (s, _) = state(vec![("/volumes/data", 500, r#"{"message":"boom"}"#)]);
    match s.resolve(&[volume_ref("data")]).await.unwrap_err() {
        Unresolved::Failed { what, reason } => {
            assert_eq!(what, r#"volume "data""#);
            assert!(reason.contains("500"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let (s, _) = state(vec![]);
    assert!(matches!(
        s.resolve(&[volume_ref("data")]).await.unwrap_err(),
        Unresolved::Failed { .. }
    ));
}

#[tokio::test]
async fn names_that_would_change_the_route_are_refused_and_others_are_escaped() {
    let (s, calls) = state(vec![("/volumes/a%20b", 200, VOLUME)]);
    assert!(s.resolve(&[volume_ref("a b")]).await.is_ok());
    assert!(matches!(
        s.resolve(&[volume_ref("../containers/x")])
            .await
            .unwrap_err(),
        Unresolved::Failed { .. }
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn answers_are_cached_only_while_the_events_stream_is_live_and_dropped_on_an_event() {
    let (s, calls) = state(vec![("/volumes/data", 200, VOLUME)]);
    s.resolve(&[volume_ref("data")]).await.unwrap();
    s.resolve(&[volume_ref("data")]).await.unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "no events stream: no cache"
    );
    s.set_live(true);
    s.resolve(&[volume_ref("data")]).await.unwrap();
    s.resolve(&[volume_ref("data")]).await.unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "live: the second lookup is cached"
    );
    s.on_event(br#"{"Type":"volume","Action":"destroy","Actor":{"ID":"data"}}"#);
    s.resolve(&[volume_ref("data")]).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4, "a volume event drops it");
    s.on_event(br#"{"Type":"container","Action":"exec_start: sh","Actor":{"ID":"x"}}"#);
    s.resolve(&[volume_ref("data")]).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4, "an exec changes no volume");
    s.set_live(false);
    s.resolve(&[volume_ref("data")]).await.unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        5,
        "the stream dropped: the cache is gone"
    );
}
