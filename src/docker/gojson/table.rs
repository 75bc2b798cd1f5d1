//! Field names of the structs dockerd decodes request bodies into.
//!
//! Generated, not written: a one-off script walked the body schema of every operation in
//! `docker-engine-api-v1.41.yaml` and master's `docker-engine-api.yaml` (`$ref`s followed,
//! `allOf` merged, `additionalProperties` read as a Go map), took the union of both specs, and
//! added the few Go fields neither spec lists (marked). When the specs change, regenerate the
//! same way instead of editing by hand; `gojson::tests` checks that every name is ASCII and
//! that no two fields of a struct fold together.

use super::{Field, Shape, Struct};
use crate::docker::endpoint::Operation;

/// The shape of the JSON body an operation decodes, when it decodes one.
pub fn body(op: Operation) -> Option<Shape> {
    Some(match op {
        Operation::ContainerCreate => Shape::Struct(&CONTAINER_CREATE_REQUEST),
        Operation::ContainerUpdate => Shape::Struct(&CONTAINER_UPDATE_REQUEST),
        Operation::SystemAuth => Shape::Struct(&AUTH_CONFIG),
        Operation::ImageCommit => Shape::Struct(&CONTAINER_CONFIG),
        Operation::ContainerExec => Shape::Struct(&EXEC_CONFIG),
        Operation::ExecStart => Shape::Struct(&EXEC_START_CONFIG),
        Operation::VolumeCreate => Shape::Struct(&VOLUME_CREATE_REQUEST),
        Operation::VolumeUpdate => Shape::Struct(&VOLUME_UPDATE_REQUEST),
        Operation::NetworkCreate => Shape::Struct(&NETWORK_CREATE_REQUEST),
        Operation::NetworkConnect => Shape::Struct(&NETWORK_CONNECT_REQUEST),
        Operation::NetworkDisconnect => Shape::Struct(&NETWORK_DISCONNECT_REQUEST),
        Operation::PluginPull => PLUGIN_PRIVILEGES,
        Operation::PluginUpgrade => PLUGIN_PRIVILEGES,
        Operation::PluginSet => PLUGIN_SETTINGS,
        Operation::NodeUpdate => Shape::Struct(&NODE_SPEC),
        Operation::SwarmInit => Shape::Struct(&SWARM_INIT_REQUEST),
        Operation::SwarmJoin => Shape::Struct(&SWARM_JOIN_REQUEST),
        Operation::SwarmUpdate => Shape::Struct(&SWARM_SPEC),
        Operation::SwarmUnlock => Shape::Struct(&SWARM_UNLOCK_REQUEST),
        Operation::ServiceCreate => Shape::Struct(&SERVICE_SPEC),
        Operation::ServiceUpdate => Shape::Struct(&SERVICE_SPEC),
        Operation::SecretCreate => Shape::Struct(&SECRET_SPEC),
        Operation::SecretUpdate => Shape::Struct(&SECRET_SPEC),
        Operation::ConfigCreate => Shape::Struct(&CONFIG_SPEC),
        Operation::ConfigUpdate => Shape::Struct(&CONFIG_SPEC),
        _ => return None,
    })
}

/// A body that is a JSON array.
pub static PLUGIN_PRIVILEGES: Shape = Shape::Array(&Shape::Struct(&PLUGIN_PRIVILEGE));

/// A body that is a JSON array.
pub static PLUGIN_SETTINGS: Shape = Shape::Array(&Shape::Scalar);

pub static AUTH_CONFIG: Struct = Struct {
    name: "AuthConfig",
    fields: &[
        Field {
            name: "email",
            shape: Shape::Scalar,
        },
        Field {
            name: "password",
            shape: Shape::Scalar,
        },
        Field {
            name: "serveraddress",
            shape: Shape::Scalar,
        },
        Field {
            name: "username",
            shape: Shape::Scalar,
        },
    ],
};

pub static CLUSTER_VOLUME_SPEC: Struct = Struct {
    name: "ClusterVolumeSpec",
    fields: &[
        Field {
            name: "AccessMode",
            shape: Shape::Struct(&CLUSTER_VOLUME_SPEC_ACCESS_MODE),
        },
        Field {
            name: "Group",
            shape: Shape::Scalar,
        },
    ],
};

pub static CLUSTER_VOLUME_SPEC_ACCESS_MODE: Struct = Struct {
    name: "ClusterVolumeSpec_AccessMode",
    fields: &[
        Field {
            name: "AccessibilityRequirements",
            shape: Shape::Struct(&CLUSTER_VOLUME_SPEC_ACCESS_MODE_ACCESSIBILITY_REQUIREMENTS),
        },
        Field {
            name: "Availability",
            shape: Shape::Scalar,
        },
        Field {
            name: "CapacityRange",
            shape: Shape::Struct(&CLUSTER_VOLUME_SPEC_ACCESS_MODE_CAPACITY_RANGE),
        },
        Field {
            name: "MountVolume",
            shape: Shape::Any,
        },
        Field {
            name: "Scope",
            shape: Shape::Scalar,
        },
        Field {
            name: "Secrets",
            shape: Shape::Array(&Shape::Struct(
                &CLUSTER_VOLUME_SPEC_ACCESS_MODE_SECRETS_ITEM,
            )),
        },
        Field {
            name: "Sharing",
            shape: Shape::Scalar,
        },
    ],
};

pub static CLUSTER_VOLUME_SPEC_ACCESS_MODE_ACCESSIBILITY_REQUIREMENTS: Struct = Struct {
    name: "ClusterVolumeSpec_AccessMode_AccessibilityRequirements",
    fields: &[
        Field {
            name: "Preferred",
            shape: Shape::Array(&Shape::Struct(&TOPOLOGY)),
        },
        Field {
            name: "Requisite",
            shape: Shape::Array(&Shape::Struct(&TOPOLOGY)),
        },
    ],
};

pub static CLUSTER_VOLUME_SPEC_ACCESS_MODE_CAPACITY_RANGE: Struct = Struct {
    name: "ClusterVolumeSpec_AccessMode_CapacityRange",
    fields: &[
        Field {
            name: "LimitBytes",
            shape: Shape::Scalar,
        },
        Field {
            name: "RequiredBytes",
            shape: Shape::Scalar,
        },
    ],
};

pub static CLUSTER_VOLUME_SPEC_ACCESS_MODE_SECRETS_ITEM: Struct = Struct {
    name: "ClusterVolumeSpec_AccessMode_Secrets_Item",
    fields: &[
        Field {
            name: "Key",
            shape: Shape::Scalar,
        },
        Field {
            name: "Secret",
            shape: Shape::Scalar,
        },
    ],
};

pub static CONFIG_REFERENCE: Struct = Struct {
    name: "ConfigReference",
    fields: &[Field {
        name: "Network",
        shape: Shape::Scalar,
    }],
};

pub static CONFIG_SPEC: Struct = Struct {
    name: "ConfigSpec",
    fields: &[
        Field {
            name: "Data",
            shape: Shape::Scalar,
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Templating",
            shape: Shape::Struct(&DRIVER),
        },
    ],
};

pub static CONTAINER_CONFIG: Struct = Struct {
    name: "ContainerConfig",
    fields: &[
        Field {
            name: "ArgsEscaped",
            shape: Shape::Scalar,
        },
        Field {
            name: "AttachStderr",
            shape: Shape::Scalar,
        },
        Field {
            name: "AttachStdin",
            shape: Shape::Scalar,
        },
        Field {
            name: "AttachStdout",
            shape: Shape::Scalar,
        },
        Field {
            name: "Cmd",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Domainname",
            shape: Shape::Scalar,
        },
        Field {
            name: "Entrypoint",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Env",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "ExposedPorts",
            shape: Shape::Map(&Shape::Any),
        },
        Field {
            name: "Healthcheck",
            shape: Shape::Struct(&HEALTH_CONFIG),
        },
        Field {
            name: "Hostname",
            shape: Shape::Scalar,
        },
        Field {
            name: "Image",
            shape: Shape::Scalar,
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "MacAddress",
            shape: Shape::Scalar,
        },
        Field {
            name: "NetworkDisabled",
            shape: Shape::Scalar,
        },
        Field {
            name: "OnBuild",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "OpenStdin",
            shape: Shape::Scalar,
        },
        Field {
            name: "Shell",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "StdinOnce",
            shape: Shape::Scalar,
        },
        Field {
            name: "StopSignal",
            shape: Shape::Scalar,
        },
        Field {
            name: "StopTimeout",
            shape: Shape::Scalar,
        },
        Field {
            name: "Tty",
            shape: Shape::Scalar,
        },
        Field {
            name: "User",
            shape: Shape::Scalar,
        },
        Field {
            name: "Volumes",
            shape: Shape::Map(&Shape::Any),
        },
        Field {
            name: "WorkingDir",
            shape: Shape::Scalar,
        },
    ],
};

pub static CONTAINER_CREATE_REQUEST: Struct = Struct {
    name: "ContainerCreateRequest",
    fields: &[
        Field {
            name: "ArgsEscaped",
            shape: Shape::Scalar,
        },
        Field {
            name: "AttachStderr",
            shape: Shape::Scalar,
        },
        Field {
            name: "AttachStdin",
            shape: Shape::Scalar,
        },
        Field {
            name: "AttachStdout",
            shape: Shape::Scalar,
        },
        Field {
            name: "Cmd",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Cpuset",
            shape: Shape::Scalar,
        }, // Go field the specs omit
        Field {
            name: "Domainname",
            shape: Shape::Scalar,
        },
        Field {
            name: "Entrypoint",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Env",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "ExposedPorts",
            shape: Shape::Map(&Shape::Any),
        },
        Field {
            name: "Healthcheck",
            shape: Shape::Struct(&HEALTH_CONFIG),
        },
        Field {
            name: "HostConfig",
            shape: Shape::Struct(&HOST_CONFIG),
        },
        Field {
            name: "Hostname",
            shape: Shape::Scalar,
        },
        Field {
            name: "Image",
            shape: Shape::Scalar,
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "MacAddress",
            shape: Shape::Scalar,
        },
        Field {
            name: "NetworkDisabled",
            shape: Shape::Scalar,
        },
        Field {
            name: "NetworkingConfig",
            shape: Shape::Struct(&NETWORKING_CONFIG),
        },
        Field {
            name: "OnBuild",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "OpenStdin",
            shape: Shape::Scalar,
        },
        Field {
            name: "Shell",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "StdinOnce",
            shape: Shape::Scalar,
        },
        Field {
            name: "StopSignal",
            shape: Shape::Scalar,
        },
        Field {
            name: "StopTimeout",
            shape: Shape::Scalar,
        },
        Field {
            name: "Tty",
            shape: Shape::Scalar,
        },
        Field {
            name: "User",
            shape: Shape::Scalar,
        },
        Field {
            name: "Volumes",
            shape: Shape::Map(&Shape::Any),
        },
        Field {
            name: "WorkingDir",
            shape: Shape::Scalar,
        },
    ],
};

pub static CONTAINER_UPDATE_REQUEST: Struct = Struct {
    name: "ContainerUpdateRequest",
    fields: &[
        Field {
            name: "BlkioDeviceReadBps",
            shape: Shape::Array(&Shape::Struct(&THROTTLE_DEVICE)),
        },
        Field {
            name: "BlkioDeviceReadIOps",
            shape: Shape::Array(&Shape::Struct(&THROTTLE_DEVICE)),
        },
        Field {
            name: "BlkioDeviceWriteBps",
            shape: Shape::Array(&Shape::Struct(&THROTTLE_DEVICE)),
        },
        Field {
            name: "BlkioDeviceWriteIOps",
            shape: Shape::Array(&Shape::Struct(&THROTTLE_DEVICE)),
        },
        Field {
            name: "BlkioWeight",
            shape: Shape::Scalar,
        },
        Field {
            name: "BlkioWeightDevice",
            shape: Shape::Array(&Shape::Struct(&RESOURCES_BLKIO_WEIGHT_DEVICE_ITEM)),
        },
        Field {
            name: "CgroupParent",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuCount",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuPercent",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuPeriod",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuQuota",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuRealtimePeriod",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuRealtimeRuntime",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuShares",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpusetCpus",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpusetMems",
            shape: Shape::Scalar,
        },
        Field {
            name: "DeviceCgroupRules",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "DeviceRequests",
            shape: Shape::Array(&Shape::Struct(&DEVICE_REQUEST)),
        },
        Field {
            name: "Devices",
            shape: Shape::Array(&Shape::Struct(&DEVICE_MAPPING)),
        },
        Field {
            name: "IOMaximumBandwidth",
            shape: Shape::Scalar,
        },
        Field {
            name: "IOMaximumIOps",
            shape: Shape::Scalar,
        },
        Field {
            name: "Init",
            shape: Shape::Scalar,
        },
        Field {
            name: "KernelMemory",
            shape: Shape::Scalar,
        },
        Field {
            name: "KernelMemoryTCP",
            shape: Shape::Scalar,
        },
        Field {
            name: "Memory",
            shape: Shape::Scalar,
        },
        Field {
            name: "MemoryReservation",
            shape: Shape::Scalar,
        },
        Field {
            name: "MemorySwap",
            shape: Shape::Scalar,
        },
        Field {
            name: "MemorySwappiness",
            shape: Shape::Scalar,
        },
        Field {
            name: "NanoCpus",
            shape: Shape::Scalar,
        },
        Field {
            name: "OomKillDisable",
            shape: Shape::Scalar,
        },
        Field {
            name: "PidsLimit",
            shape: Shape::Scalar,
        },
        Field {
            name: "RestartPolicy",
            shape: Shape::Struct(&RESTART_POLICY),
        },
        Field {
            name: "Ulimits",
            shape: Shape::Array(&Shape::Struct(&RESOURCES_ULIMITS_ITEM)),
        },
    ],
};

pub static DEVICE_MAPPING: Struct = Struct {
    name: "DeviceMapping",
    fields: &[
        Field {
            name: "CgroupPermissions",
            shape: Shape::Scalar,
        },
        Field {
            name: "PathInContainer",
            shape: Shape::Scalar,
        },
        Field {
            name: "PathOnHost",
            shape: Shape::Scalar,
        },
    ],
};

pub static DEVICE_REQUEST: Struct = Struct {
    name: "DeviceRequest",
    fields: &[
        Field {
            name: "Capabilities",
            shape: Shape::Array(&Shape::Array(&Shape::Scalar)),
        },
        Field {
            name: "Count",
            shape: Shape::Scalar,
        },
        Field {
            name: "DeviceIDs",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Driver",
            shape: Shape::Scalar,
        },
        Field {
            name: "Options",
            shape: Shape::Map(&Shape::Scalar),
        },
    ],
};

pub static DRIVER: Struct = Struct {
    name: "Driver",
    fields: &[
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Options",
            shape: Shape::Map(&Shape::Scalar),
        },
    ],
};

pub static ENDPOINT_IPAM_CONFIG: Struct = Struct {
    name: "EndpointIPAMConfig",
    fields: &[
        Field {
            name: "IPv4Address",
            shape: Shape::Scalar,
        },
        Field {
            name: "IPv6Address",
            shape: Shape::Scalar,
        },
        Field {
            name: "LinkLocalIPs",
            shape: Shape::Array(&Shape::Scalar),
        },
    ],
};

pub static ENDPOINT_PORT_CONFIG: Struct = Struct {
    name: "EndpointPortConfig",
    fields: &[
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Protocol",
            shape: Shape::Scalar,
        },
        Field {
            name: "PublishMode",
            shape: Shape::Scalar,
        },
        Field {
            name: "PublishedPort",
            shape: Shape::Scalar,
        },
        Field {
            name: "TargetPort",
            shape: Shape::Scalar,
        },
    ],
};

pub static ENDPOINT_SETTINGS: Struct = Struct {
    name: "EndpointSettings",
    fields: &[
        Field {
            name: "Aliases",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "DNSNames",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "DriverOpts",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "EndpointID",
            shape: Shape::Scalar,
        },
        Field {
            name: "Gateway",
            shape: Shape::Scalar,
        },
        Field {
            name: "GlobalIPv6Address",
            shape: Shape::Scalar,
        },
        Field {
            name: "GlobalIPv6PrefixLen",
            shape: Shape::Scalar,
        },
        Field {
            name: "GwPriority",
            shape: Shape::Scalar,
        },
        Field {
            name: "IPAMConfig",
            shape: Shape::Struct(&ENDPOINT_IPAM_CONFIG),
        },
        Field {
            name: "IPAddress",
            shape: Shape::Scalar,
        },
        Field {
            name: "IPPrefixLen",
            shape: Shape::Scalar,
        },
        Field {
            name: "IPv6Gateway",
            shape: Shape::Scalar,
        },
        Field {
            name: "Links",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "MacAddress",
            shape: Shape::Scalar,
        },
        Field {
            name: "NetworkID",
            shape: Shape::Scalar,
        },
    ],
};

pub static ENDPOINT_SPEC: Struct = Struct {
    name: "EndpointSpec",
    fields: &[
        Field {
            name: "Mode",
            shape: Shape::Scalar,
        },
        Field {
            name: "Ports",
            shape: Shape::Array(&Shape::Struct(&ENDPOINT_PORT_CONFIG)),
        },
    ],
};

pub static EXEC_CONFIG: Struct = Struct {
    name: "ExecConfig",
    fields: &[
        Field {
            name: "AttachStderr",
            shape: Shape::Scalar,
        },
        Field {
            name: "AttachStdin",
            shape: Shape::Scalar,
        },
        Field {
            name: "AttachStdout",
            shape: Shape::Scalar,
        },
        Field {
            name: "Cmd",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "ConsoleSize",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Detach",
            shape: Shape::Scalar,
        }, // Go field the specs omit
        Field {
            name: "DetachKeys",
            shape: Shape::Scalar,
        },
        Field {
            name: "Env",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Privileged",
            shape: Shape::Scalar,
        },
        Field {
            name: "Tty",
            shape: Shape::Scalar,
        },
        Field {
            name: "User",
            shape: Shape::Scalar,
        },
        Field {
            name: "WorkingDir",
            shape: Shape::Scalar,
        },
    ],
};

pub static EXEC_START_CONFIG: Struct = Struct {
    name: "ExecStartConfig",
    fields: &[
        Field {
            name: "ConsoleSize",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Detach",
            shape: Shape::Scalar,
        },
        Field {
            name: "Tty",
            shape: Shape::Scalar,
        },
    ],
};

pub static GENERIC_RESOURCES_ITEM: Struct = Struct {
    name: "GenericResources_Item",
    fields: &[
        Field {
            name: "DiscreteResourceSpec",
            shape: Shape::Struct(&GENERIC_RESOURCES_ITEM_DISCRETE_RESOURCE_SPEC),
        },
        Field {
            name: "NamedResourceSpec",
            shape: Shape::Struct(&GENERIC_RESOURCES_ITEM_NAMED_RESOURCE_SPEC),
        },
    ],
};

pub static GENERIC_RESOURCES_ITEM_DISCRETE_RESOURCE_SPEC: Struct = Struct {
    name: "GenericResources_Item_DiscreteResourceSpec",
    fields: &[
        Field {
            name: "Kind",
            shape: Shape::Scalar,
        },
        Field {
            name: "Value",
            shape: Shape::Scalar,
        },
    ],
};

pub static GENERIC_RESOURCES_ITEM_NAMED_RESOURCE_SPEC: Struct = Struct {
    name: "GenericResources_Item_NamedResourceSpec",
    fields: &[
        Field {
            name: "Kind",
            shape: Shape::Scalar,
        },
        Field {
            name: "Value",
            shape: Shape::Scalar,
        },
    ],
};

pub static HEALTH_CONFIG: Struct = Struct {
    name: "HealthConfig",
    fields: &[
        Field {
            name: "Interval",
            shape: Shape::Scalar,
        },
        Field {
            name: "Retries",
            shape: Shape::Scalar,
        },
        Field {
            name: "StartInterval",
            shape: Shape::Scalar,
        },
        Field {
            name: "StartPeriod",
            shape: Shape::Scalar,
        },
        Field {
            name: "Test",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Timeout",
            shape: Shape::Scalar,
        },
    ],
};

pub static HOST_CONFIG: Struct = Struct {
    name: "HostConfig",
    fields: &[
        Field {
            name: "Annotations",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "AutoRemove",
            shape: Shape::Scalar,
        },
        Field {
            name: "Binds",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "BlkioDeviceReadBps",
            shape: Shape::Array(&Shape::Struct(&THROTTLE_DEVICE)),
        },
        Field {
            name: "BlkioDeviceReadIOps",
            shape: Shape::Array(&Shape::Struct(&THROTTLE_DEVICE)),
        },
        Field {
            name: "BlkioDeviceWriteBps",
            shape: Shape::Array(&Shape::Struct(&THROTTLE_DEVICE)),
        },
        Field {
            name: "BlkioDeviceWriteIOps",
            shape: Shape::Array(&Shape::Struct(&THROTTLE_DEVICE)),
        },
        Field {
            name: "BlkioWeight",
            shape: Shape::Scalar,
        },
        Field {
            name: "BlkioWeightDevice",
            shape: Shape::Array(&Shape::Struct(&RESOURCES_BLKIO_WEIGHT_DEVICE_ITEM)),
        },
        Field {
            name: "CapAdd",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "CapDrop",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Cgroup",
            shape: Shape::Scalar,
        },
        Field {
            name: "CgroupParent",
            shape: Shape::Scalar,
        },
        Field {
            name: "CgroupnsMode",
            shape: Shape::Scalar,
        },
        Field {
            name: "ConsoleSize",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "ContainerIDFile",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuCount",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuPercent",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuPeriod",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuQuota",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuRealtimePeriod",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuRealtimeRuntime",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpuShares",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpusetCpus",
            shape: Shape::Scalar,
        },
        Field {
            name: "CpusetMems",
            shape: Shape::Scalar,
        },
        Field {
            name: "DeviceCgroupRules",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "DeviceRequests",
            shape: Shape::Array(&Shape::Struct(&DEVICE_REQUEST)),
        },
        Field {
            name: "Devices",
            shape: Shape::Array(&Shape::Struct(&DEVICE_MAPPING)),
        },
        Field {
            name: "Dns",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "DnsOptions",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "DnsSearch",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "ExtraHosts",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "GroupAdd",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "IOMaximumBandwidth",
            shape: Shape::Scalar,
        },
        Field {
            name: "IOMaximumIOps",
            shape: Shape::Scalar,
        },
        Field {
            name: "Init",
            shape: Shape::Scalar,
        },
        Field {
            name: "IpcMode",
            shape: Shape::Scalar,
        },
        Field {
            name: "Isolation",
            shape: Shape::Scalar,
        },
        Field {
            name: "KernelMemory",
            shape: Shape::Scalar,
        },
        Field {
            name: "KernelMemoryTCP",
            shape: Shape::Scalar,
        },
        Field {
            name: "Links",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "LogConfig",
            shape: Shape::Struct(&HOST_CONFIG_LOG_CONFIG),
        },
        Field {
            name: "MaskedPaths",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Memory",
            shape: Shape::Scalar,
        },
        Field {
            name: "MemoryReservation",
            shape: Shape::Scalar,
        },
        Field {
            name: "MemorySwap",
            shape: Shape::Scalar,
        },
        Field {
            name: "MemorySwappiness",
            shape: Shape::Scalar,
        },
        Field {
            name: "Mounts",
            shape: Shape::Array(&Shape::Struct(&MOUNT)),
        },
        Field {
            name: "NanoCpus",
            shape: Shape::Scalar,
        },
        Field {
            name: "NetworkMode",
            shape: Shape::Scalar,
        },
        Field {
            name: "OomKillDisable",
            shape: Shape::Scalar,
        },
        Field {
            name: "OomScoreAdj",
            shape: Shape::Scalar,
        },
        Field {
            name: "PidMode",
            shape: Shape::Scalar,
        },
        Field {
            name: "PidsLimit",
            shape: Shape::Scalar,
        },
        Field {
            name: "PortBindings",
            shape: Shape::Map(&Shape::Array(&Shape::Struct(&PORT_BINDING))),
        },
        Field {
            name: "Privileged",
            shape: Shape::Scalar,
        },
        Field {
            name: "PublishAllPorts",
            shape: Shape::Scalar,
        },
        Field {
            name: "ReadonlyPaths",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "ReadonlyRootfs",
            shape: Shape::Scalar,
        },
        Field {
            name: "RestartPolicy",
            shape: Shape::Struct(&RESTART_POLICY),
        },
        Field {
            name: "Runtime",
            shape: Shape::Scalar,
        },
        Field {
            name: "SecurityOpt",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "ShmSize",
            shape: Shape::Scalar,
        },
        Field {
            name: "StorageOpt",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Sysctls",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Tmpfs",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "UTSMode",
            shape: Shape::Scalar,
        },
        Field {
            name: "Ulimits",
            shape: Shape::Array(&Shape::Struct(&RESOURCES_ULIMITS_ITEM)),
        },
        Field {
            name: "UsernsMode",
            shape: Shape::Scalar,
        },
        Field {
            name: "VolumeDriver",
            shape: Shape::Scalar,
        },
        Field {
            name: "VolumesFrom",
            shape: Shape::Array(&Shape::Scalar),
        },
    ],
};

pub static HOST_CONFIG_LOG_CONFIG: Struct = Struct {
    name: "HostConfig_LogConfig",
    fields: &[
        Field {
            name: "Config",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Type",
            shape: Shape::Scalar,
        },
    ],
};

pub static IPAM: Struct = Struct {
    name: "IPAM",
    fields: &[
        Field {
            name: "Config",
            shape: Shape::Array(&Shape::Struct(&IPAM_CONFIG)),
        },
        Field {
            name: "Driver",
            shape: Shape::Scalar,
        },
        Field {
            name: "Options",
            shape: Shape::Map(&Shape::Scalar),
        },
    ],
};

pub static IPAM_CONFIG: Struct = Struct {
    name: "IPAMConfig",
    fields: &[
        Field {
            name: "AuxiliaryAddresses",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Gateway",
            shape: Shape::Scalar,
        },
        Field {
            name: "IPRange",
            shape: Shape::Scalar,
        },
        Field {
            name: "Subnet",
            shape: Shape::Scalar,
        },
    ],
};

pub static LIMIT: Struct = Struct {
    name: "Limit",
    fields: &[
        Field {
            name: "MemoryBytes",
            shape: Shape::Scalar,
        },
        Field {
            name: "NanoCPUs",
            shape: Shape::Scalar,
        },
        Field {
            name: "Pids",
            shape: Shape::Scalar,
        },
    ],
};

pub static MOUNT: Struct = Struct {
    name: "Mount",
    fields: &[
        Field {
            name: "BindOptions",
            shape: Shape::Struct(&MOUNT_BIND_OPTIONS),
        },
        Field {
            name: "ClusterOptions",
            shape: Shape::Any,
        }, // Go field the specs omit
        Field {
            name: "Consistency",
            shape: Shape::Scalar,
        },
        Field {
            name: "ImageOptions",
            shape: Shape::Struct(&MOUNT_IMAGE_OPTIONS),
        },
        Field {
            name: "ReadOnly",
            shape: Shape::Scalar,
        },
        Field {
            name: "Source",
            shape: Shape::Scalar,
        },
        Field {
            name: "Target",
            shape: Shape::Scalar,
        },
        Field {
            name: "TmpfsOptions",
            shape: Shape::Struct(&MOUNT_TMPFS_OPTIONS),
        },
        Field {
            name: "Type",
            shape: Shape::Scalar,
        },
        Field {
            name: "VolumeOptions",
            shape: Shape::Struct(&MOUNT_VOLUME_OPTIONS),
        },
    ],
};

pub static MOUNT_BIND_OPTIONS: Struct = Struct {
    name: "Mount_BindOptions",
    fields: &[
        Field {
            name: "CreateMountpoint",
            shape: Shape::Scalar,
        },
        Field {
            name: "NonRecursive",
            shape: Shape::Scalar,
        },
        Field {
            name: "Propagation",
            shape: Shape::Scalar,
        },
        Field {
            name: "ReadOnlyForceRecursive",
            shape: Shape::Scalar,
        },
        Field {
            name: "ReadOnlyNonRecursive",
            shape: Shape::Scalar,
        },
    ],
};

pub static MOUNT_IMAGE_OPTIONS: Struct = Struct {
    name: "Mount_ImageOptions",
    fields: &[Field {
        name: "Subpath",
        shape: Shape::Scalar,
    }],
};

pub static MOUNT_TMPFS_OPTIONS: Struct = Struct {
    name: "Mount_TmpfsOptions",
    fields: &[
        Field {
            name: "Mode",
            shape: Shape::Scalar,
        },
        Field {
            name: "Options",
            shape: Shape::Array(&Shape::Array(&Shape::Scalar)),
        },
        Field {
            name: "SizeBytes",
            shape: Shape::Scalar,
        },
    ],
};

pub static MOUNT_VOLUME_OPTIONS: Struct = Struct {
    name: "Mount_VolumeOptions",
    fields: &[
        Field {
            name: "DriverConfig",
            shape: Shape::Struct(&MOUNT_VOLUME_OPTIONS_DRIVER_CONFIG),
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "NoCopy",
            shape: Shape::Scalar,
        },
        Field {
            name: "Subpath",
            shape: Shape::Scalar,
        },
    ],
};

pub static MOUNT_VOLUME_OPTIONS_DRIVER_CONFIG: Struct = Struct {
    name: "Mount_VolumeOptions_DriverConfig",
    fields: &[
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Options",
            shape: Shape::Map(&Shape::Scalar),
        },
    ],
};

pub static NETWORK_ATTACHMENT_CONFIG: Struct = Struct {
    name: "NetworkAttachmentConfig",
    fields: &[
        Field {
            name: "Aliases",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "DriverOpts",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Target",
            shape: Shape::Scalar,
        },
    ],
};

pub static NETWORK_CONNECT_REQUEST: Struct = Struct {
    name: "NetworkConnectRequest",
    fields: &[
        Field {
            name: "Container",
            shape: Shape::Scalar,
        },
        Field {
            name: "EndpointConfig",
            shape: Shape::Struct(&ENDPOINT_SETTINGS),
        },
    ],
};

pub static NETWORK_CREATE_REQUEST: Struct = Struct {
    name: "NetworkCreateRequest",
    fields: &[
        Field {
            name: "Attachable",
            shape: Shape::Scalar,
        },
        Field {
            name: "CheckDuplicate",
            shape: Shape::Scalar,
        },
        Field {
            name: "ConfigFrom",
            shape: Shape::Struct(&CONFIG_REFERENCE),
        },
        Field {
            name: "ConfigOnly",
            shape: Shape::Scalar,
        },
        Field {
            name: "Driver",
            shape: Shape::Scalar,
        },
        Field {
            name: "EnableIPv4",
            shape: Shape::Scalar,
        },
        Field {
            name: "EnableIPv6",
            shape: Shape::Scalar,
        },
        Field {
            name: "IPAM",
            shape: Shape::Struct(&IPAM),
        },
        Field {
            name: "Ingress",
            shape: Shape::Scalar,
        },
        Field {
            name: "Internal",
            shape: Shape::Scalar,
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Options",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Scope",
            shape: Shape::Scalar,
        },
    ],
};

pub static NETWORK_DISCONNECT_REQUEST: Struct = Struct {
    name: "NetworkDisconnectRequest",
    fields: &[
        Field {
            name: "Container",
            shape: Shape::Scalar,
        },
        Field {
            name: "Force",
            shape: Shape::Scalar,
        },
    ],
};

pub static NETWORKING_CONFIG: Struct = Struct {
    name: "NetworkingConfig",
    fields: &[Field {
        name: "EndpointsConfig",
        shape: Shape::Map(&Shape::Struct(&ENDPOINT_SETTINGS)),
    }],
};

pub static NODE_SPEC: Struct = Struct {
    name: "NodeSpec",
    fields: &[
        Field {
            name: "Availability",
            shape: Shape::Scalar,
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Role",
            shape: Shape::Scalar,
        },
    ],
};

pub static PLATFORM: Struct = Struct {
    name: "Platform",
    fields: &[
        Field {
            name: "Architecture",
            shape: Shape::Scalar,
        },
        Field {
            name: "OS",
            shape: Shape::Scalar,
        },
    ],
};

pub static PLUGIN_PRIVILEGE: Struct = Struct {
    name: "PluginPrivilege",
    fields: &[
        Field {
            name: "Description",
            shape: Shape::Scalar,
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Value",
            shape: Shape::Array(&Shape::Scalar),
        },
    ],
};

pub static PORT_BINDING: Struct = Struct {
    name: "PortBinding",
    fields: &[
        Field {
            name: "HostIp",
            shape: Shape::Scalar,
        },
        Field {
            name: "HostPort",
            shape: Shape::Scalar,
        },
    ],
};

pub static RESOURCE_OBJECT: Struct = Struct {
    name: "ResourceObject",
    fields: &[
        Field {
            name: "GenericResources",
            shape: Shape::Array(&Shape::Struct(&GENERIC_RESOURCES_ITEM)),
        },
        Field {
            name: "MemoryBytes",
            shape: Shape::Scalar,
        },
        Field {
            name: "NanoCPUs",
            shape: Shape::Scalar,
        },
    ],
};

pub static RESOURCES_BLKIO_WEIGHT_DEVICE_ITEM: Struct = Struct {
    name: "Resources_BlkioWeightDevice_Item",
    fields: &[
        Field {
            name: "Path",
            shape: Shape::Scalar,
        },
        Field {
            name: "Weight",
            shape: Shape::Scalar,
        },
    ],
};

pub static RESOURCES_ULIMITS_ITEM: Struct = Struct {
    name: "Resources_Ulimits_Item",
    fields: &[
        Field {
            name: "Hard",
            shape: Shape::Scalar,
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Soft",
            shape: Shape::Scalar,
        },
    ],
};

pub static RESTART_POLICY: Struct = Struct {
    name: "RestartPolicy",
    fields: &[
        Field {
            name: "MaximumRetryCount",
            shape: Shape::Scalar,
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
    ],
};

pub static SECRET_SPEC: Struct = Struct {
    name: "SecretSpec",
    fields: &[
        Field {
            name: "Data",
            shape: Shape::Scalar,
        },
        Field {
            name: "Driver",
            shape: Shape::Struct(&DRIVER),
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Templating",
            shape: Shape::Struct(&DRIVER),
        },
    ],
};

pub static SERVICE_SPEC: Struct = Struct {
    name: "ServiceSpec",
    fields: &[
        Field {
            name: "EndpointSpec",
            shape: Shape::Struct(&ENDPOINT_SPEC),
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Mode",
            shape: Shape::Struct(&SERVICE_SPEC_MODE),
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Networks",
            shape: Shape::Array(&Shape::Struct(&NETWORK_ATTACHMENT_CONFIG)),
        },
        Field {
            name: "RollbackConfig",
            shape: Shape::Struct(&SERVICE_SPEC_ROLLBACK_CONFIG),
        },
        Field {
            name: "TaskTemplate",
            shape: Shape::Struct(&TASK_SPEC),
        },
        Field {
            name: "UpdateConfig",
            shape: Shape::Struct(&SERVICE_SPEC_UPDATE_CONFIG),
        },
    ],
};

pub static SERVICE_SPEC_MODE: Struct = Struct {
    name: "ServiceSpec_Mode",
    fields: &[
        Field {
            name: "Global",
            shape: Shape::Any,
        },
        Field {
            name: "GlobalJob",
            shape: Shape::Any,
        },
        Field {
            name: "Replicated",
            shape: Shape::Struct(&SERVICE_SPEC_MODE_REPLICATED),
        },
        Field {
            name: "ReplicatedJob",
            shape: Shape::Struct(&SERVICE_SPEC_MODE_REPLICATED_JOB),
        },
    ],
};

pub static SERVICE_SPEC_MODE_REPLICATED: Struct = Struct {
    name: "ServiceSpec_Mode_Replicated",
    fields: &[Field {
        name: "Replicas",
        shape: Shape::Scalar,
    }],
};

pub static SERVICE_SPEC_MODE_REPLICATED_JOB: Struct = Struct {
    name: "ServiceSpec_Mode_ReplicatedJob",
    fields: &[
        Field {
            name: "MaxConcurrent",
            shape: Shape::Scalar,
        },
        Field {
            name: "TotalCompletions",
            shape: Shape::Scalar,
        },
    ],
};

pub static SERVICE_SPEC_ROLLBACK_CONFIG: Struct = Struct {
    name: "ServiceSpec_RollbackConfig",
    fields: &[
        Field {
            name: "Delay",
            shape: Shape::Scalar,
        },
        Field {
            name: "FailureAction",
            shape: Shape::Scalar,
        },
        Field {
            name: "MaxFailureRatio",
            shape: Shape::Scalar,
        },
        Field {
            name: "Monitor",
            shape: Shape::Scalar,
        },
        Field {
            name: "Order",
            shape: Shape::Scalar,
        },
        Field {
            name: "Parallelism",
            shape: Shape::Scalar,
        },
    ],
};

pub static SERVICE_SPEC_UPDATE_CONFIG: Struct = Struct {
    name: "ServiceSpec_UpdateConfig",
    fields: &[
        Field {
            name: "Delay",
            shape: Shape::Scalar,
        },
        Field {
            name: "FailureAction",
            shape: Shape::Scalar,
        },
        Field {
            name: "MaxFailureRatio",
            shape: Shape::Scalar,
        },
        Field {
            name: "Monitor",
            shape: Shape::Scalar,
        },
        Field {
            name: "Order",
            shape: Shape::Scalar,
        },
        Field {
            name: "Parallelism",
            shape: Shape::Scalar,
        },
    ],
};

pub static SWARM_INIT_REQUEST: Struct = Struct {
    name: "SwarmInitRequest",
    fields: &[
        Field {
            name: "AdvertiseAddr",
            shape: Shape::Scalar,
        },
        Field {
            name: "DataPathAddr",
            shape: Shape::Scalar,
        },
        Field {
            name: "DataPathPort",
            shape: Shape::Scalar,
        },
        Field {
            name: "DefaultAddrPool",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "ForceNewCluster",
            shape: Shape::Scalar,
        },
        Field {
            name: "ListenAddr",
            shape: Shape::Scalar,
        },
        Field {
            name: "Spec",
            shape: Shape::Struct(&SWARM_SPEC),
        },
        Field {
            name: "SubnetSize",
            shape: Shape::Scalar,
        },
    ],
};

pub static SWARM_JOIN_REQUEST: Struct = Struct {
    name: "SwarmJoinRequest",
    fields: &[
        Field {
            name: "AdvertiseAddr",
            shape: Shape::Scalar,
        },
        Field {
            name: "DataPathAddr",
            shape: Shape::Scalar,
        },
        Field {
            name: "JoinToken",
            shape: Shape::Scalar,
        },
        Field {
            name: "ListenAddr",
            shape: Shape::Scalar,
        },
        Field {
            name: "RemoteAddrs",
            shape: Shape::Array(&Shape::Scalar),
        },
    ],
};

pub static SWARM_SPEC: Struct = Struct {
    name: "SwarmSpec",
    fields: &[
        Field {
            name: "CAConfig",
            shape: Shape::Struct(&SWARM_SPEC_CA_CONFIG),
        },
        Field {
            name: "Dispatcher",
            shape: Shape::Struct(&SWARM_SPEC_DISPATCHER),
        },
        Field {
            name: "EncryptionConfig",
            shape: Shape::Struct(&SWARM_SPEC_ENCRYPTION_CONFIG),
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Orchestration",
            shape: Shape::Struct(&SWARM_SPEC_ORCHESTRATION),
        },
        Field {
            name: "Raft",
            shape: Shape::Struct(&SWARM_SPEC_RAFT),
        },
        Field {
            name: "TaskDefaults",
            shape: Shape::Struct(&SWARM_SPEC_TASK_DEFAULTS),
        },
    ],
};

pub static SWARM_SPEC_CA_CONFIG: Struct = Struct {
    name: "SwarmSpec_CAConfig",
    fields: &[
        Field {
            name: "ExternalCAs",
            shape: Shape::Array(&Shape::Struct(&SWARM_SPEC_CA_CONFIG_EXTERNAL_C_AS_ITEM)),
        },
        Field {
            name: "ForceRotate",
            shape: Shape::Scalar,
        },
        Field {
            name: "NodeCertExpiry",
            shape: Shape::Scalar,
        },
        Field {
            name: "SigningCACert",
            shape: Shape::Scalar,
        },
        Field {
            name: "SigningCAKey",
            shape: Shape::Scalar,
        },
    ],
};

pub static SWARM_SPEC_CA_CONFIG_EXTERNAL_C_AS_ITEM: Struct = Struct {
    name: "SwarmSpec_CAConfig_ExternalCAs_Item",
    fields: &[
        Field {
            name: "CACert",
            shape: Shape::Scalar,
        },
        Field {
            name: "Options",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Protocol",
            shape: Shape::Scalar,
        },
        Field {
            name: "URL",
            shape: Shape::Scalar,
        },
    ],
};

pub static SWARM_SPEC_DISPATCHER: Struct = Struct {
    name: "SwarmSpec_Dispatcher",
    fields: &[Field {
        name: "HeartbeatPeriod",
        shape: Shape::Scalar,
    }],
};

pub static SWARM_SPEC_ENCRYPTION_CONFIG: Struct = Struct {
    name: "SwarmSpec_EncryptionConfig",
    fields: &[Field {
        name: "AutoLockManagers",
        shape: Shape::Scalar,
    }],
};

pub static SWARM_SPEC_ORCHESTRATION: Struct = Struct {
    name: "SwarmSpec_Orchestration",
    fields: &[Field {
        name: "TaskHistoryRetentionLimit",
        shape: Shape::Scalar,
    }],
};

pub static SWARM_SPEC_RAFT: Struct = Struct {
    name: "SwarmSpec_Raft",
    fields: &[
        Field {
            name: "ElectionTick",
            shape: Shape::Scalar,
        },
        Field {
            name: "HeartbeatTick",
            shape: Shape::Scalar,
        },
        Field {
            name: "KeepOldSnapshots",
            shape: Shape::Scalar,
        },
        Field {
            name: "LogEntriesForSlowFollowers",
            shape: Shape::Scalar,
        },
        Field {
            name: "SnapshotInterval",
            shape: Shape::Scalar,
        },
    ],
};

pub static SWARM_SPEC_TASK_DEFAULTS: Struct = Struct {
    name: "SwarmSpec_TaskDefaults",
    fields: &[Field {
        name: "LogDriver",
        shape: Shape::Struct(&SWARM_SPEC_TASK_DEFAULTS_LOG_DRIVER),
    }],
};

pub static SWARM_SPEC_TASK_DEFAULTS_LOG_DRIVER: Struct = Struct {
    name: "SwarmSpec_TaskDefaults_LogDriver",
    fields: &[
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Options",
            shape: Shape::Map(&Shape::Scalar),
        },
    ],
};

pub static SWARM_UNLOCK_REQUEST: Struct = Struct {
    name: "SwarmUnlockRequest",
    fields: &[Field {
        name: "UnlockKey",
        shape: Shape::Scalar,
    }],
};

pub static TASK_SPEC: Struct = Struct {
    name: "TaskSpec",
    fields: &[
        Field {
            name: "ContainerSpec",
            shape: Shape::Struct(&TASK_SPEC_CONTAINER_SPEC),
        },
        Field {
            name: "ForceUpdate",
            shape: Shape::Scalar,
        },
        Field {
            name: "LogDriver",
            shape: Shape::Struct(&TASK_SPEC_LOG_DRIVER),
        },
        Field {
            name: "NetworkAttachmentSpec",
            shape: Shape::Struct(&TASK_SPEC_NETWORK_ATTACHMENT_SPEC),
        },
        Field {
            name: "Networks",
            shape: Shape::Array(&Shape::Struct(&NETWORK_ATTACHMENT_CONFIG)),
        },
        Field {
            name: "Placement",
            shape: Shape::Struct(&TASK_SPEC_PLACEMENT),
        },
        Field {
            name: "PluginSpec",
            shape: Shape::Struct(&TASK_SPEC_PLUGIN_SPEC),
        },
        Field {
            name: "Resources",
            shape: Shape::Struct(&TASK_SPEC_RESOURCES),
        },
        Field {
            name: "RestartPolicy",
            shape: Shape::Struct(&TASK_SPEC_RESTART_POLICY),
        },
        Field {
            name: "Runtime",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC: Struct = Struct {
    name: "TaskSpec_ContainerSpec",
    fields: &[
        Field {
            name: "Args",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "CapabilityAdd",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "CapabilityDrop",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Command",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Configs",
            shape: Shape::Array(&Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_CONFIGS_ITEM)),
        },
        Field {
            name: "DNSConfig",
            shape: Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_DNS_CONFIG),
        },
        Field {
            name: "Dir",
            shape: Shape::Scalar,
        },
        Field {
            name: "Env",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Groups",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "HealthCheck",
            shape: Shape::Struct(&HEALTH_CONFIG),
        },
        Field {
            name: "Hostname",
            shape: Shape::Scalar,
        },
        Field {
            name: "Hosts",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Image",
            shape: Shape::Scalar,
        },
        Field {
            name: "Init",
            shape: Shape::Scalar,
        },
        Field {
            name: "Isolation",
            shape: Shape::Scalar,
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Mounts",
            shape: Shape::Array(&Shape::Struct(&MOUNT)),
        },
        Field {
            name: "OomScoreAdj",
            shape: Shape::Scalar,
        },
        Field {
            name: "OpenStdin",
            shape: Shape::Scalar,
        },
        Field {
            name: "Privileges",
            shape: Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_PRIVILEGES),
        },
        Field {
            name: "ReadOnly",
            shape: Shape::Scalar,
        },
        Field {
            name: "Secrets",
            shape: Shape::Array(&Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_SECRETS_ITEM)),
        },
        Field {
            name: "StopGracePeriod",
            shape: Shape::Scalar,
        },
        Field {
            name: "StopSignal",
            shape: Shape::Scalar,
        },
        Field {
            name: "Sysctls",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "TTY",
            shape: Shape::Scalar,
        },
        Field {
            name: "Ulimits",
            shape: Shape::Array(&Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_ULIMITS_ITEM)),
        },
        Field {
            name: "User",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC_CONFIGS_ITEM: Struct = Struct {
    name: "TaskSpec_ContainerSpec_Configs_Item",
    fields: &[
        Field {
            name: "ConfigID",
            shape: Shape::Scalar,
        },
        Field {
            name: "ConfigName",
            shape: Shape::Scalar,
        },
        Field {
            name: "File",
            shape: Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_CONFIGS_ITEM_FILE),
        },
        Field {
            name: "Runtime",
            shape: Shape::Any,
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC_CONFIGS_ITEM_FILE: Struct = Struct {
    name: "TaskSpec_ContainerSpec_Configs_Item_File",
    fields: &[
        Field {
            name: "GID",
            shape: Shape::Scalar,
        },
        Field {
            name: "Mode",
            shape: Shape::Scalar,
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "UID",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC_DNS_CONFIG: Struct = Struct {
    name: "TaskSpec_ContainerSpec_DNSConfig",
    fields: &[
        Field {
            name: "Nameservers",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Options",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "Search",
            shape: Shape::Array(&Shape::Scalar),
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC_PRIVILEGES: Struct = Struct {
    name: "TaskSpec_ContainerSpec_Privileges",
    fields: &[
        Field {
            name: "AppArmor",
            shape: Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_PRIVILEGES_APP_ARMOR),
        },
        Field {
            name: "CredentialSpec",
            shape: Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_PRIVILEGES_CREDENTIAL_SPEC),
        },
        Field {
            name: "NoNewPrivileges",
            shape: Shape::Scalar,
        },
        Field {
            name: "SELinuxContext",
            shape: Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_PRIVILEGES_SE_LINUX_CONTEXT),
        },
        Field {
            name: "Seccomp",
            shape: Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_PRIVILEGES_SECCOMP),
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC_PRIVILEGES_APP_ARMOR: Struct = Struct {
    name: "TaskSpec_ContainerSpec_Privileges_AppArmor",
    fields: &[Field {
        name: "Mode",
        shape: Shape::Scalar,
    }],
};

pub static TASK_SPEC_CONTAINER_SPEC_PRIVILEGES_CREDENTIAL_SPEC: Struct = Struct {
    name: "TaskSpec_ContainerSpec_Privileges_CredentialSpec",
    fields: &[
        Field {
            name: "Config",
            shape: Shape::Scalar,
        },
        Field {
            name: "File",
            shape: Shape::Scalar,
        },
        Field {
            name: "Registry",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC_PRIVILEGES_SE_LINUX_CONTEXT: Struct = Struct {
    name: "TaskSpec_ContainerSpec_Privileges_SELinuxContext",
    fields: &[
        Field {
            name: "Disable",
            shape: Shape::Scalar,
        },
        Field {
            name: "Level",
            shape: Shape::Scalar,
        },
        Field {
            name: "Role",
            shape: Shape::Scalar,
        },
        Field {
            name: "Type",
            shape: Shape::Scalar,
        },
        Field {
            name: "User",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC_PRIVILEGES_SECCOMP: Struct = Struct {
    name: "TaskSpec_ContainerSpec_Privileges_Seccomp",
    fields: &[
        Field {
            name: "Mode",
            shape: Shape::Scalar,
        },
        Field {
            name: "Profile",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC_SECRETS_ITEM: Struct = Struct {
    name: "TaskSpec_ContainerSpec_Secrets_Item",
    fields: &[
        Field {
            name: "File",
            shape: Shape::Struct(&TASK_SPEC_CONTAINER_SPEC_SECRETS_ITEM_FILE),
        },
        Field {
            name: "SecretID",
            shape: Shape::Scalar,
        },
        Field {
            name: "SecretName",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC_SECRETS_ITEM_FILE: Struct = Struct {
    name: "TaskSpec_ContainerSpec_Secrets_Item_File",
    fields: &[
        Field {
            name: "GID",
            shape: Shape::Scalar,
        },
        Field {
            name: "Mode",
            shape: Shape::Scalar,
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "UID",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_CONTAINER_SPEC_ULIMITS_ITEM: Struct = Struct {
    name: "TaskSpec_ContainerSpec_Ulimits_Item",
    fields: &[
        Field {
            name: "Hard",
            shape: Shape::Scalar,
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Soft",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_LOG_DRIVER: Struct = Struct {
    name: "TaskSpec_LogDriver",
    fields: &[
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "Options",
            shape: Shape::Map(&Shape::Scalar),
        },
    ],
};

pub static TASK_SPEC_NETWORK_ATTACHMENT_SPEC: Struct = Struct {
    name: "TaskSpec_NetworkAttachmentSpec",
    fields: &[Field {
        name: "ContainerID",
        shape: Shape::Scalar,
    }],
};

pub static TASK_SPEC_PLACEMENT: Struct = Struct {
    name: "TaskSpec_Placement",
    fields: &[
        Field {
            name: "Constraints",
            shape: Shape::Array(&Shape::Scalar),
        },
        Field {
            name: "MaxReplicas",
            shape: Shape::Scalar,
        },
        Field {
            name: "Platforms",
            shape: Shape::Array(&Shape::Struct(&PLATFORM)),
        },
        Field {
            name: "Preferences",
            shape: Shape::Array(&Shape::Struct(&TASK_SPEC_PLACEMENT_PREFERENCES_ITEM)),
        },
    ],
};

pub static TASK_SPEC_PLACEMENT_PREFERENCES_ITEM: Struct = Struct {
    name: "TaskSpec_Placement_Preferences_Item",
    fields: &[Field {
        name: "Spread",
        shape: Shape::Struct(&TASK_SPEC_PLACEMENT_PREFERENCES_ITEM_SPREAD),
    }],
};

pub static TASK_SPEC_PLACEMENT_PREFERENCES_ITEM_SPREAD: Struct = Struct {
    name: "TaskSpec_Placement_Preferences_Item_Spread",
    fields: &[Field {
        name: "SpreadDescriptor",
        shape: Shape::Scalar,
    }],
};

pub static TASK_SPEC_PLUGIN_SPEC: Struct = Struct {
    name: "TaskSpec_PluginSpec",
    fields: &[
        Field {
            name: "Disabled",
            shape: Shape::Scalar,
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
        Field {
            name: "PluginPrivilege",
            shape: Shape::Array(&Shape::Struct(&PLUGIN_PRIVILEGE)),
        },
        Field {
            name: "Remote",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_RESOURCES: Struct = Struct {
    name: "TaskSpec_Resources",
    fields: &[
        Field {
            name: "Limits",
            shape: Shape::Struct(&LIMIT),
        },
        Field {
            name: "MemorySwappiness",
            shape: Shape::Scalar,
        },
        Field {
            name: "Reservations",
            shape: Shape::Struct(&RESOURCE_OBJECT),
        },
        Field {
            name: "SwapBytes",
            shape: Shape::Scalar,
        },
    ],
};

pub static TASK_SPEC_RESTART_POLICY: Struct = Struct {
    name: "TaskSpec_RestartPolicy",
    fields: &[
        Field {
            name: "Condition",
            shape: Shape::Scalar,
        },
        Field {
            name: "Delay",
            shape: Shape::Scalar,
        },
        Field {
            name: "MaxAttempts",
            shape: Shape::Scalar,
        },
        Field {
            name: "Window",
            shape: Shape::Scalar,
        },
    ],
};

pub static THROTTLE_DEVICE: Struct = Struct {
    name: "ThrottleDevice",
    fields: &[
        Field {
            name: "Path",
            shape: Shape::Scalar,
        },
        Field {
            name: "Rate",
            shape: Shape::Scalar,
        },
    ],
};

pub static TOPOLOGY: Struct = Struct {
    name: "Topology",
    fields: &[Field {
        name: "Segments",
        shape: Shape::Map(&Shape::Scalar),
    }],
};

pub static VOLUME_CREATE_REQUEST: Struct = Struct {
    name: "VolumeCreateRequest",
    fields: &[
        Field {
            name: "ClusterVolumeSpec",
            shape: Shape::Struct(&CLUSTER_VOLUME_SPEC),
        },
        Field {
            name: "Driver",
            shape: Shape::Scalar,
        },
        Field {
            name: "DriverOpts",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Labels",
            shape: Shape::Map(&Shape::Scalar),
        },
        Field {
            name: "Name",
            shape: Shape::Scalar,
        },
    ],
};

pub static VOLUME_UPDATE_REQUEST: Struct = Struct {
    name: "VolumeUpdateRequest",
    fields: &[Field {
        name: "Spec",
        shape: Shape::Struct(&CLUSTER_VOLUME_SPEC),
    }],
};
