//! The page's files, built into the binary: plain HTML, CSS and JavaScript modules, no
//! build step, nothing fetched from elsewhere.

/// `(path, content type, body)` of every file the page is made of.
pub const FILES: &[(&str, &str, &str)] = &[
    (
        "/",
        "text/html; charset=utf-8",
        include_str!("assets/index.html"),
    ),
    (
        "/style.css",
        "text/css; charset=utf-8",
        include_str!("assets/style.css"),
    ),
    (
        "/app.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/app.js"),
    ),
    (
        "/render.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/render.js"),
    ),
    (
        "/timeline.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/timeline.js"),
    ),
    (
        "/terminal.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/terminal.js"),
    ),
    (
        "/learn.js",
        "text/javascript; charset=utf-8",
        include_str!("assets/learn.js"),
    ),
    (
        "/summaries.json",
        "application/json",
        include_str!("assets/summaries.json"),
    ),
];

/// The file served at `path`.
pub fn file(path: &str) -> Option<(&'static str, &'static str)> {
    FILES
        .iter()
        .find(|(p, _, _)| *p == path || (*p == "/" && path == "/index.html"))
        .map(|(_, ct, body)| (*ct, *body))
}
