#!/usr/bin/env python3
"""Podman's libpod routes, read from its source: tests/data/podman-libpod-routes.tsv and
src/docker/endpoint/libpod.rs.

Podman registers its API in pkg/api/server/register_*.go with gorilla/mux, in the order of
the handler list in server.go; each libpod route is `VersionedPath("/libpod/…")`, i.e. only
behind `/v{version:[0-9][0-9A-Za-z.-]*}` (`/libpod/_ping` also bare). Names are the
operationIds of podman's own swagger comments, so a policy author finds them in podman's API
reference; the few routes without one get a name in the same style (NAMES below).

    git clone https://github.com/containers/podman /tmp/podman
    scripts/podman-libpod-routes.py /tmp/podman v4.3.1 v5.8.2

Routes are listed in the newest ref's order; the TSV says which refs register each.
"""
import pathlib
import re
import subprocess
import sys

# Routes podman's swagger comments leave unnamed, or name like a Docker route.
NAMES = {
    ("HEAD", "/libpod/containers/{name}/archive"): "ContainerArchiveInfoLibpod",
    ("POST", "/libpod/exec/{id}/remove"): "ExecRemoveLibpod",
    ("POST", "/libpod/kube/play"): "PlayKubeLibpod",
    ("DELETE", "/libpod/kube/play"): "PlayKubeDownLibpod",
    ("GET", "/libpod/kube/generate"): "GenerateKubeLibpod",
    ("GET", "/libpod/networks/{name}"): "NetworkInspectLibpod",
    ("GET", "/libpod/_ping"): "SystemPingLibpod",
    ("HEAD", "/libpod/_ping"): "SystemPingHeadLibpod",
    ("GET", "/libpod/swagger"): "ServeSwaggerLibpod",
}

# How bodies flow (sockeye's `Streaming`), where it is not `Plain`; for views only.
STREAMING = {
    "ContainerAttachLibpod": "RawHijack",
    "ExecStartLibpod": "RawHijack",
    "ContainerLogsLibpod": "Logs",
    "ContainerStatsLibpod": "Stats",
    "ContainersStatsAllLibpod": "Stats",
    "PodStatsAllLibpod": "Stats",
    "SystemEventsLibpod": "Events",
    "ContainerWaitLibpod": "LongPoll",
    "ContainerArchiveInfoLibpod": "HeadOnly",
    "ContainerArchiveLibpod": "TarResponse",
    "ContainerExportLibpod": "TarResponse",
    "ImageExportLibpod": "TarResponse",
    "ImageGetLibpod": "TarResponse",
    "VolumeExportLibpod": "TarResponse",
    "ArtifactExtractLibpod": "TarResponse",
    "PutContainerArchiveLibpod": "TarRequest",
    "VolumeImportLibpod": "TarRequest",
    "ImageBuildLibpod": "TarRequestProgress",
    "ImageLoadLibpod": "TarRequestProgress",
    "ImageImportLibpod": "TarRequestProgress",
    "ArtifactAddLibpod": "TarRequest",
    "ImagePullLibpod": "Progress",
    "ImagePushLibpod": "Progress",
    "ManifestPushLibpod": "Progress",
    "ArtifactPullLibpod": "Progress",
    "ArtifactPushLibpod": "Progress",
}

REGISTRATION = re.compile(
    r'r\.Handle(?:Func)?\(\s*(VersionedPath\()?"(/libpod[^"]*)"\)?\s*,.*?\)\s*\.Methods\(([^)]*)\)',
    re.S,
)
OPERATION = re.compile(r"swagger:operation\s+(\w+)\s+(\S+)\s+\w+\s+(\w+)")


def show(repo, ref, path):
    return subprocess.run(
        ["git", "-C", repo, "show", f"{ref}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def routes(repo, ref):
    """(method, template, versioned_only) in podman's match order, and swagger names."""
    server = show(repo, ref, "pkg/api/server/server.go")
    order = re.findall(r"server\.(register\w+Handlers)", server)
    files = subprocess.run(
        ["git", "-C", repo, "ls-tree", "--name-only", ref, "pkg/api/server/"],
        check=True, capture_output=True, text=True,
    ).stdout.split()
    bodies = {}
    for f in files:
        if pathlib.PurePath(f).name.startswith("register_"):
            text = show(repo, ref, f)
            for fn in re.findall(r"func \(s \*APIServer\) (register\w+Handlers)", text):
                bodies[fn] = text
    out, names, seen = [], {}, set()
    for fn in order:
        text = bodies[fn]
        start = text.index(f"func (s *APIServer) {fn}")
        text = text[start:]
        for m in OPERATION.finditer(text):
            names.setdefault((m.group(1).upper(), m.group(2)), m.group(3))
        for m in REGISTRATION.finditer(text):
            versioned, template = bool(m.group(1)), m.group(2)
            for method in re.findall(r"http\.Method(\w+)", m.group(3)):
                key = (method.upper(), template, versioned)
                if key not in seen:  # a second registration never matches first
                    seen.add(key)
                    out.append(key)
    return out, names


def main(repo, refs):
    per_ref = {ref: routes(repo, ref) for ref in refs}
    newest = refs[-1]
    ordered = list(per_ref[newest][0])
    for ref in refs[:-1]:
        ordered += [r for r in per_ref[ref][0] if r not in ordered]
    names = {}
    for ref in refs:
        for k, v in per_ref[ref][1].items():
            names.setdefault(k, v)
    # One row per method and template: a bare and a versioned registration are two forms.
    rows, index = [], {}
    for method, template, versioned in ordered:
        key = (method, template)
        if key in index:
            rows[index[key]]["forms"].add("versioned" if versioned else "bare")
            continue
        spec_path = re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", template)
        name = NAMES.get((method, spec_path)) or names.get((method, spec_path))
        if name is None or name in ("SystemPing",):
            sys.exit(f"no name for {method} {template}: add it to NAMES")
        present = [r for r in refs if any(x[:2] == key for x in per_ref[r][0])]
        index[key] = len(rows)
        rows.append(dict(method=method, template=template, spec_path=spec_path, name=name,
                         forms={"versioned" if versioned else "bare"}, refs=present))
    ops = {}
    for r in rows:
        ops.setdefault(r["name"], r)
    root = pathlib.Path(__file__).resolve().parent.parent
    with open(root / "tests/data/podman-libpod-routes.tsv", "w") as tsv:
        tsv.write("method\ttemplate\tforms\toperation\tpodman\n")
        for r in rows:
            forms = ",".join(sorted(r["forms"]))
            tsv.write(f"{r['method']}\t{r['template']}\t{forms}\t{r['name']}\t{','.join(r['refs'])}\n")
    rs = [
        "//! Podman's libpod routes (`/v{version}/libpod/…`), in podman's match order.",
        "//!",
        f"//! Generated by scripts/podman-libpod-routes.py from podman {', '.join(refs)}",
        "//! (pkg/api/server/register_*.go); regenerate rather than edit. Names are podman's",
        "//! swagger operationIds. tests/data/podman-libpod-routes.tsv is the same list, with the",
        "//! podman versions that register each route.",
        "",
        "use super::operation::Operation::*;",
        "use super::table::{podman, Route};",
        "",
        "/// Adds the libpod operations to an `operations!` list.",
        "macro_rules! with_libpod_operations {",
        "    ($callback:ident { $($docker:tt)* }) => {",
        "        $callback! {",
        "            $($docker)*",
    ]
    for name, r in ops.items():
        streaming = STREAMING.get(name, "Plain")
        rs.append(f'            libpod {name}: Libpod, {streaming}, "{r["spec_path"]}";')
    rs += [
        "        }",
        "    };",
        "}",
        "pub(super) use with_libpod_operations;",
        "",
        "/// Every libpod route, in podman's match order.",
        "pub(super) const LIBPOD: &[Route] = &[",
    ]
    for r in rows:
        call = f'podman("{r["method"]}", "{r["template"]}", {r["name"]})'
        if "bare" in r["forms"]:
            call += ".and_bare()"
        rs.append(f"    {call},")
    rs += ["];", ""]
    target = root / "src/docker/endpoint/libpod.rs"
    target.write_text("\n".join(rs))
    subprocess.run(["rustfmt", "--edition", "2021", str(target)], check=True)
    print(f"{len(rows)} routes, {len(ops)} operations")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
