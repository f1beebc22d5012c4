// Package examples holds deployment examples for sqlclusterd and the test
// that keeps them honest. It has no code of its own.
//
//   - Dockerfile: the sqlcluster:dev image, FROM scratch, with the static
//     sqlclusterd and sqlclusterctl that `make static` builds (`make image`).
//   - docker-compose.yml: three stream-mode nodes on a private network, each
//     with its own volume, health-checked with `sqlclusterctl status`
//     (`make demo`, `make demo-down`).
//   - kubernetes/: a StatefulSet of three nodes with a headless Service for
//     gossip and stable names, a client Service, a PodDisruptionBudget, the
//     cluster Secret and a kustomization.yaml (`kubectl apply -k`).
//
// The examples are only useful if they match the server, and nothing else
// would notice when a flag is renamed or a probe path moves. So the test
// builds cmd/sqlclusterd and cmd/sqlclusterctl, reads their flags from
// --help, and checks every example against them: each argument is a flag the
// server accepts (and the binary parses the whole argument list), every
// SQLCLUSTER_* variable names a flag, ports, probes, volumes and selectors
// line up with the flags and with each other. It needs neither Docker nor a
// Kubernetes cluster nor the network.
package examples
