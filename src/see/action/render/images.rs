//! Image calls: `docker images`, `pull`, `import`, `push`, `tag`, `rmi`, `commit`, `save`,
//! `load`, ….

use super::{filters, Ctx};
use crate::docker::endpoint::Operation;
use crate::see::action::line::Line;
use crate::see::action::query::Query;

pub(super) fn render(cx: &Ctx, op: Operation) -> Option<Line> {
    use Operation as O;
    let q = &cx.q;
    let obj = cx.object();
    let mut l;
    match op {
        O::ImageList => {
            l = Line::docker("images");
            l.flag_if(q.flag("all"), "-a")
                .flag_if(q.flag("digests"), "--digests");
            if let Some(r) = q.text("filter") {
                l.arg(r);
            }
            filters(&mut l, q);
        }
        O::ImageCreate => l = image_create(q),
        O::ImageInspect => {
            l = Line::docker("image inspect");
            l.object(obj);
        }
        O::ImageHistory => {
            l = Line::docker("history");
            l.object(obj);
        }
        O::ImagePush => {
            l = Line::docker("push");
            let tag = q.get("tag").unwrap_or("");
            l.flag_if(tag.is_empty(), "--all-tags")
                .opt_some("--platform", q.text("platform"))
                .object(&reference(obj, tag));
        }
        O::ImageTag => {
            l = Line::docker("tag");
            let repo = familiar(q.get("repo").unwrap_or(""));
            l.object(obj)
                .arg(&reference(repo, q.get("tag").unwrap_or("")));
        }
        O::ImageDelete => {
            l = Line::docker("rmi");
            l.flag_if(q.flag("force"), "-f")
                .flag_if(q.flag("noprune"), "--no-prune")
                .object(obj);
        }
        O::ImageSearch => {
            l = Line::docker("search");
            l.opt_some("--limit", q.text("limit"));
            filters(&mut l, q);
            l.object(q.get("term").unwrap_or(""));
        }
        O::ImagePrune => {
            l = Line::docker("image prune");
            filters(&mut l, q);
        }
        O::ImageCommit => {
            l = Line::docker("commit");
            l.opt_some("-a", q.text("author"))
                .opt_some("-m", q.text("comment"));
            for c in q.all("changes").filter(|c| !c.is_empty()) {
                l.opt("-c", c);
            }
            if !q.flag_or("pause", true) {
                l.raw("--pause=false");
            }
            l.object(q.get("container").unwrap_or(""));
            if let Some(repo) = q.text("repo") {
                l.arg(&reference(familiar(repo), q.get("tag").unwrap_or("")));
            }
        }
        O::ImageGet => {
            l = Line::docker("save");
            l.object(obj);
        }
        O::ImageGetAll => {
            l = Line::docker("save");
            l.args(q.all("names"));
        }
        O::ImageLoad => {
            // `quiet` is left out: the CLI sets it by itself whenever stdout is no terminal.
            l = Line::docker("load");
            l.opt_some("--platform", q.text("platform"));
        }
        _ => return None,
    }
    Some(l)
}

/// The short form the CLI prints: `docker.io/library/busybox` → `busybox`.
fn familiar(repo: &str) -> &str {
    match repo.strip_prefix("docker.io/") {
        Some(rest) => match rest.strip_prefix("library/") {
            Some(name) if !name.contains('/') => name,
            _ => rest,
        },
        None => repo,
    }
}

/// `repo` + `tag` as one reference; a digest joins with `@`.
fn reference(repo: &str, tag: &str) -> String {
    if tag.is_empty() {
        repo.to_owned()
    } else if tag.contains(':') {
        format!("{repo}@{tag}")
    } else {
        format!("{repo}:{tag}")
    }
}

/// Whether a reference already names a tag or digest (`host:5000/img` does not).
fn has_tag(reference: &str) -> bool {
    let last = reference.rsplit('/').next().unwrap_or(reference);
    last.contains(':') || reference.contains('@')
}

/// `POST /images/create`: a pull (`fromImage`) or an import (`fromSrc`).
fn image_create(q: &Query) -> Line {
    let tag = q.get("tag").unwrap_or("");
    if let Some(image) = q.text("fromImage") {
        let image = familiar(image);
        let mut l = Line::docker("pull");
        // No tag and none in the name: dockerd pulls every tag (`docker pull -a`).
        l.flag_if(tag.is_empty() && !has_tag(image), "-a")
            .opt_some("--platform", q.text("platform"))
            .object(&reference(image, tag));
        l
    } else if let Some(src) = q.text("fromSrc") {
        let mut l = Line::docker("import");
        l.opt_some("-m", q.text("message"));
        for c in q.all("changes").filter(|c| !c.is_empty()) {
            l.opt("-c", c);
        }
        l.opt_some("--platform", q.text("platform")).object(src);
        if let Some(repo) = q.text("repo") {
            l.arg(&reference(familiar(repo), tag));
        }
        l
    } else {
        Line::note("(ImageCreate without fromImage or fromSrc)")
    }
}
