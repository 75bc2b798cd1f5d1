# Allow every request: what opa-docker-authz does with no policy at all. Useful to try the
# relay with --policy-rego before writing a real policy, never in production.
package docker.authz

allow := true
