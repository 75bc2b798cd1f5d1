# Containers may bind-mount host paths only under /srv/data. `input.BindMounts` lists the
# binds of a container create, from both `HostConfig.Binds` (`-v /src:/dst`) and
# `HostConfig.Mounts` of type bind (`--mount type=bind,...`); it is null when there are none.
package docker.authz

default allow := false

allow if count(refused) == 0

allowed_roots := ["/srv/data"]

# Judge the symlink-resolved path: `ln -s / /srv/data/root` then `-v /srv/data/root:/mnt`
# would otherwise pass. `Resolved` is "" when the path does not exist on this host; refuse
# those too, since `Source` may still hold a `..` that dockerd will clean away.
refused contains mount.Source if {
	some mount in input.BindMounts
	not under_allowed_root(mount.Resolved)
}

under_allowed_root(path) if {
	some root in allowed_roots
	path == root
}

under_allowed_root(path) if {
	some root in allowed_roots
	startswith(path, concat("", [root, "/"]))
}

reason contains msg if {
	some source in refused
	msg := sprintf("bind mount of %s is outside %s", [source, concat(", ", allowed_roots)])
}
