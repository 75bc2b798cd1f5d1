# What sockeye adds under `input.sockeye`: the endpoint as dockerd routes it, the client as
# the kernel names it (Unix socket peer credentials), and the security facts of the body
# with the reasons it could give root on the host (`escalations`).
package docker.authz

default allow := false

# Read-only endpoints for everyone on the socket.
read_only if input.sockeye.endpoint in {
	"SystemPing", "SystemVersion", "SystemInfo", "SystemEvents",
	"ContainerList", "ContainerInspect", "ImageList", "ImageInspect",
}

allow if read_only

# The deploy user (uid 1000) may run containers, as long as nothing in the request could
# give it root on the host.
allow if {
	input.sockeye.client.uid == 1000
	regex.match(`^(Container|Image|Exec|Network|Volume)`, input.sockeye.endpoint)
	count(escalations) == 0
}

# null when the request has no body facts (every endpoint but those that create or change
# something).
default escalations := []

escalations := input.sockeye.escalations if is_array(input.sockeye.escalations)

reason contains msg if {
	some e in escalations
	msg := sprintf("%s is not allowed", [e.kind])
}

reason contains msg if {
	not read_only
	input.sockeye.client.uid != 1000
	msg := sprintf("uid %v may only read", [input.sockeye.client.uid])
}
