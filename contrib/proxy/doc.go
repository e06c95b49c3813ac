// Package proxy holds devcache-proxy's deploy files (a kustomize base under
// kubernetes/, systemd units under systemd/) and the offline test that keeps
// them consistent with the proxy's configuration: every manifest decodes
// strictly into the k8s.io/api types, and the probes, ports and mounts line
// up with the TOML the ConfigMap carries.
package proxy
