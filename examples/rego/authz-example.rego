# The checks of opa-docker-authz's own example policy, written anew: a container labelled for
# production must join the production network, seccomp may not be switched off, and the user
# named by the `Authz-User` header (a stand-in for a real identity) decides what is allowed.
package docker.authz

default allow := false

allow if {
	not wrong_network
	not seccomp_unconfined
	user_may
}

# `**` matches every API version prefix (`/v1.41/containers/create`) and none.
creating_container if glob.match("/**/containers/create", ["/"], input.PathPlain)

wrong_network if {
	creating_container
	input.Body.Labels["com.example/deployment"] == "prod"
	input.Body.HostConfig.NetworkMode != "prod-network"
}

seccomp_unconfined if {
	creating_container
	"seccomp=unconfined" in input.Body.HostConfig.SecurityOpt
}

users := {
	"bob": {"readOnly": true},
	"alice": {"readOnly": false},
}

user := users[input.Headers["Authz-User"]]

user_may if {
	input.Method == "GET"
	user
}

user_may if {
	input.Method != "GET"
	user.readOnly == false
}
