# Allow everything except privileged containers: the first example of OPA's Docker
# authorization tutorial. `input.Body` is the request's JSON body; for a container create it
# is the container's config, with the host settings under `HostConfig`.
package docker.authz

default allow := false

allow if not privileged

privileged if input.Body.HostConfig.Privileged == true

# A sockeye extension: on a denial, this rule's value is the reason the client sees
# (opa-docker-authz always says "request rejected by administrative policy").
reason := "privileged containers are not allowed" if privileged
