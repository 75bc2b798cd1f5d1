# Per-user rights, keyed by `input.User`: the user dockerd authenticated, i.e. the common
# name of the client's TLS certificate. Without TLS, `input.User` is "" and every request is
# denied here. sockeye's Unix-socket clients have no TLS user; key them by
# `input.sockeye.client.uid` instead (see sockeye-extensions.rego).
package docker.authz

default allow := false

users := {
	"alice": {"readOnly": false},
	"bob": {"readOnly": true},
}

user := users[input.User]

# Reading is allowed to every known user.
allow if {
	user
	input.Method in {"GET", "HEAD"}
}

# Everything else only to users who are not read-only.
allow if user.readOnly == false

reason := sprintf("%s may only read", [input.User]) if user.readOnly
reason := "unknown user" if not user
