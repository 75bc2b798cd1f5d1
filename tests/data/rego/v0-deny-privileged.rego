# Rego v0, as policies for opa-docker-authz ≤ 0.9 (OPA 0.x) were written: no `if`, `deny[msg]`
# for a partial set. sockeye reads it as v0 because it is not valid v1.
package docker.authz

default allow = false

allow {
	count(deny) == 0
}

deny[msg] {
	input.Body.HostConfig.Privileged == true
	msg := "privileged containers are not allowed"
}

deny[msg] {
	input.BindMounts[_].Source == "/"
	msg := "the host root may not be mounted"
}

reason = concat("; ", deny)
