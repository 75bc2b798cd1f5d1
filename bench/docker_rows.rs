//! The bulk rows whose bodies hyper frames: `docker save`, `docker load` and `docker cp` both
//! ways, against the real daemon. Their bodies have no Content-Length (the daemon answers
//! chunked; the CLI uploads chunked), so they measure the relay's framed path, where the
//! download/upload rows measure Content-Length bodies.

use std::io::{BufRead, BufReader};

use super::*;

/// The image `save` and `load` move and `cp` copies out of: one file of incompressible bytes.
pub const BIG_IMAGE: &str = "sockeye-bench/big:1";
/// Where the file is inside [`BIG_IMAGE`].
const BLOB: &str = "/blob";
/// The chunk size of the uploads: what the docker CLI's Go client writes (io.Copy's 32 KiB).
const UPLOAD_CHUNK: usize = 32 * 1024;

pub const ROWS: &[&str] = &["save", "load", "cp-from", "cp-to"];

/// What the chunked rows share: the image, a created (never started) container of it, and the
/// bodies captured once directly from the daemon (the load and cp-to uploads).
pub struct Setup {
    container: String,
    save_tar: PathBuf,
    save_len: u64,
    cp_tar: PathBuf,
    cp_len: u64,
    docker_host: PathBuf,
    api: String,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = simple_request(
            &self.docker_host,
            "DELETE",
            &format!("{}/containers/{}?force=1", self.api, self.container),
            None,
        );
        let _ = std::fs::remove_file(&self.save_tar);
        let _ = std::fs::remove_file(&self.cp_tar);
    }
}

/// Imports [`BIG_IMAGE`] when missing (`--image-mib` MiB from /dev/urandom, as
/// scripts/dockerd.sh imports the test image), creates a container of it, and captures the
/// `save` and `cp` bodies directly from the daemon.
pub fn setup(o: &Opts, api: &str) -> R<Setup> {
    let (st, _) = json_request(
        &o.docker_host,
        "GET",
        &format!("{api}/images/{BIG_IMAGE}/json"),
        None,
    )?;
    if st != 200 {
        let dir = o.workdir.join("big-image");
        std::fs::create_dir_all(&dir)?;
        let blob = dir.join("blob");
        let tar = o.workdir.join("big-image.tar");
        eprintln!(
            "bench: importing {BIG_IMAGE} ({} MiB of random bytes)",
            o.image_mib
        );
        let sh = format!(
            "head -c {} /dev/urandom > '{}' && tar -C '{}' -cf '{}' blob && docker -H 'unix://{}' import '{}' {BIG_IMAGE} >/dev/null",
            o.image_mib * MIB,
            blob.display(),
            dir.display(),
            tar.display(),
            o.docker_host.display(),
            tar.display()
        );
        let ok = Command::new("sh").arg("-c").arg(&sh).status()?.success();
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(&tar);
        if !ok {
            bail!("importing {BIG_IMAGE} failed ({sh})");
        }
    }
    let name = format!("sockeye-bench-big-{}", std::process::id());
    let create = serde_json::json!({
        "Image": BIG_IMAGE, "Cmd": [BLOB], "HostConfig": {"NetworkMode": "none"}
    });
    let (st, v) = json_request(
        &o.docker_host,
        "POST",
        &format!("{api}/containers/create?name={name}"),
        Some(&create),
    )?;
    if st != 201 {
        bail!("container create ({BIG_IMAGE}): HTTP {st}: {v}");
    }
    let mut s = Setup {
        container: v["Id"].as_str().ok_or("no container Id")?.to_string(),
        save_tar: o.workdir.join("save.tar"),
        save_len: 0,
        cp_tar: o.workdir.join("cp.tar"),
        cp_len: 0,
        docker_host: o.docker_host.clone(),
        api: api.to_string(),
    };
    let mut f = std::fs::File::create(&s.save_tar)?;
    s.save_len = get_body(&o.docker_host, &save_path(api), Some(&mut f))?;
    let mut f = std::fs::File::create(&s.cp_tar)?;
    s.cp_len = get_body(&o.docker_host, &cp_path(api, &s.container), Some(&mut f))?;
    eprintln!(
        "bench: save body {} bytes, cp body {} bytes",
        s.save_len, s.cp_len
    );
    Ok(s)
}

fn save_path(api: &str) -> String {
    format!("{api}/images/{}/get", BIG_IMAGE.replace('/', "%2F"))
}

fn cp_path(api: &str, container: &str) -> String {
    format!("{api}/containers/{container}/archive?path={BLOB}")
}

/// GET a body the daemon frames as it likes (chunked for these), de-chunked as a client reads
/// it; returns the body's length, writing it to `sink` if given.
fn get_body(sock: &Path, path: &str, mut sink: Option<&mut std::fs::File>) -> R<u64> {
    let mut s = connect(sock)?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: sockeye-bench\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )?;
    let (head, rest, first) = read_head(&mut s)?;
    if head.status != 200 {
        bail!("GET {path}: {first}");
    }
    let mut r = BufReader::with_capacity(MIB as usize, std::io::Cursor::new(rest).chain(s));
    let mut n = 0u64;
    let mut copy = |r: &mut dyn Read, k: u64| -> R<u64> {
        let got = match sink.as_mut() {
            Some(f) => std::io::copy(&mut Read::take(r, k), f)?,
            None => std::io::copy(&mut Read::take(r, k), &mut std::io::sink())?,
        };
        Ok(got)
    };
    if head.chunked() {
        let mut line = String::new();
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = u64::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| format!("GET {path}: bad chunk size line {line:?}"))?;
            if size == 0 {
                break;
            }
            let got = copy(&mut r, size)?;
            if got != size {
                bail!("GET {path}: chunk cut short ({got} of {size} bytes)");
            }
            n += got;
            let mut crlf = [0u8; 2];
            r.read_exact(&mut crlf)?;
        }
    } else if let Some(len) = head.content_length() {
        n = copy(&mut r, len)?;
    } else {
        n = copy(&mut r, u64::MAX)?;
    }
    Ok(n)
}

/// Send `file` as a chunked request body in [`UPLOAD_CHUNK`] chunks, as the docker CLI does;
/// returns the status and the answer's body.
fn put_chunked(sock: &Path, method: &str, path: &str, file: &Path) -> R<(u16, Vec<u8>, u64)> {
    let mut s = connect(sock)?;
    s.write_all(
        format!("{method} {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: sockeye-bench\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )?;
    let mut f = std::fs::File::open(file)?;
    let mut buf = vec![0u8; UPLOAD_CHUNK + 16];
    let mut sent = 0u64;
    loop {
        let hdr = format!("{:x}\r\n", UPLOAD_CHUNK);
        let h = hdr.len();
        let k = f.read(&mut buf[h..h + UPLOAD_CHUNK])?;
        if k == 0 {
            break;
        }
        let hdr = format!("{k:x}\r\n");
        let start = h - hdr.len();
        buf[start..h].copy_from_slice(hdr.as_bytes());
        buf[h + k..h + k + 2].copy_from_slice(b"\r\n");
        s.write_all(&buf[start..h + k + 2])?;
        sent += k as u64;
    }
    s.write_all(b"0\r\n\r\n")?;
    let (head, mut rest, _) = read_head(&mut s)?;
    s.read_to_end(&mut rest)?;
    Ok((head.status, rest, sent))
}

pub fn run(env: &Env, s: &Setup, row: &str) -> R<RowResult> {
    let o = &env.o;
    let targets = env.targets(row, &o.docker_host, false)?;
    let api = &env.api;
    let once = |t: &Target| -> R<u64> {
        match row {
            "save" => {
                let n = get_body(&t.sock, &save_path(api), None)?;
                if n != s.save_len {
                    bail!("save: {n} bytes, direct gave {}", s.save_len);
                }
                Ok(n)
            }
            "cp-from" => {
                let n = get_body(&t.sock, &cp_path(api, &s.container), None)?;
                if n != s.cp_len {
                    bail!("cp-from: {n} bytes, direct gave {}", s.cp_len);
                }
                Ok(n)
            }
            "load" => {
                let path = format!("{api}/images/load?quiet=1");
                let (st, body, n) = put_chunked(&t.sock, "POST", &path, &s.save_tar)?;
                let text = String::from_utf8_lossy(&body);
                if st != 200 || !text.contains("Loaded image") || text.contains("errorDetail") {
                    bail!("load: HTTP {st}: {}", text.trim());
                }
                Ok(n)
            }
            "cp-to" => {
                let path = format!("{api}/containers/{}/archive?path=/", s.container);
                let (st, body, n) = put_chunked(&t.sock, "PUT", &path, &s.cp_tar)?;
                if st != 200 {
                    bail!(
                        "cp-to: HTTP {st}: {}",
                        String::from_utf8_lossy(&body).trim()
                    );
                }
                Ok(n)
            }
            _ => unreachable!(),
        }
    };
    let samples = interleave(
        o,
        row,
        &targets,
        |t| once(t).map(|_| ()),
        |t| bulk_sample(t, || once(t)),
    )?;
    let mib = |n: u64| n as f64 / MIB as f64;
    let what = match row {
        "save" => format!(
            "`docker save {BIG_IMAGE}`: GET /images/NAME/get, a {:.0} MiB tar the daemon sends chunked",
            mib(s.save_len)
        ),
        "load" => format!(
            "`docker load`: POST /images/load of that {:.0} MiB tar, chunked in 32 KiB chunks as the CLI sends it (the image exists: the daemon reads it all, then keeps its layers)",
            mib(s.save_len)
        ),
        "cp-from" => format!(
            "`docker cp C:{BLOB} -`: GET /containers/C/archive, a {:.0} MiB tar the daemon sends chunked",
            mib(s.cp_len)
        ),
        _ => format!(
            "`docker cp - C:/`: PUT /containers/C/archive of that {:.0} MiB tar, chunked in 32 KiB chunks",
            mib(s.cp_len)
        ),
    };
    Ok(RowResult {
        name: row.into(),
        kind: RowKind::Bulk,
        what,
        samples,
        notes: vec![],
    })
}
