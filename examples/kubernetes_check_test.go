package examples

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The Kubernetes objects the example uses, reduced to the fields it sets.
// Decoding is strict: a misspelt field (publishNotReadyAddress) is an error
// here, as it would be for kubectl's server-side validation.

type typeMeta struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
}

type objectMeta struct {
	Name        string            `yaml:"name"`
	Namespace   string            `yaml:"namespace"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

// intOrString is Kubernetes' IntOrString: a port number or name, a count or
// a percentage.
type intOrString string

func (s *intOrString) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a number or a string", n.Line)
	}
	*s = intOrString(n.Value)
	return nil
}

type secret struct {
	typeMeta   `yaml:",inline"`
	Metadata   objectMeta        `yaml:"metadata"`
	Type       string            `yaml:"type"`
	StringData map[string]string `yaml:"stringData"`
	Data       map[string]string `yaml:"data"`
}

type service struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		Type                     string            `yaml:"type"`
		ClusterIP                string            `yaml:"clusterIP"`
		PublishNotReadyAddresses bool              `yaml:"publishNotReadyAddresses"`
		Selector                 map[string]string `yaml:"selector"`
		Ports                    []servicePort     `yaml:"ports"`
	} `yaml:"spec"`
}

type servicePort struct {
	Name       string      `yaml:"name"`
	Port       int         `yaml:"port"`
	TargetPort intOrString `yaml:"targetPort"`
	Protocol   string      `yaml:"protocol"`
}

type statefulSet struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		ServiceName         string        `yaml:"serviceName"`
		Replicas            int           `yaml:"replicas"`
		PodManagementPolicy string        `yaml:"podManagementPolicy"`
		Selector            labelSelector `yaml:"selector"`
		Template            struct {
			Metadata objectMeta `yaml:"metadata"`
			Spec     podSpec    `yaml:"spec"`
		} `yaml:"template"`
		VolumeClaimTemplates []claimTemplate `yaml:"volumeClaimTemplates"`
	} `yaml:"spec"`
}

type claimTemplate struct {
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		AccessModes      []string  `yaml:"accessModes"`
		StorageClassName *string   `yaml:"storageClassName"`
		Resources        resources `yaml:"resources"`
	} `yaml:"spec"`
}

type podSpec struct {
	TerminationGracePeriodSeconds int   `yaml:"terminationGracePeriodSeconds"`
	AutomountServiceAccountToken  *bool `yaml:"automountServiceAccountToken"`
	SecurityContext               struct {
		RunAsNonRoot bool  `yaml:"runAsNonRoot"`
		RunAsUser    int64 `yaml:"runAsUser"`
		RunAsGroup   int64 `yaml:"runAsGroup"`
		FSGroup      int64 `yaml:"fsGroup"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name     string    `yaml:"name"`
		EmptyDir *struct{} `yaml:"emptyDir"`
	} `yaml:"volumes"`
}

type container struct {
	Name            string   `yaml:"name"`
	Image           string   `yaml:"image"`
	ImagePullPolicy string   `yaml:"imagePullPolicy"`
	Args            []string `yaml:"args"`
	Env             []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
		Protocol      string `yaml:"protocol"`
	} `yaml:"ports"`
	LivenessProbe   *probe    `yaml:"livenessProbe"`
	ReadinessProbe  *probe    `yaml:"readinessProbe"`
	Resources       resources `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		ReadOnly  bool   `yaml:"readOnly"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet *struct {
		Path string      `yaml:"path"`
		Port intOrString `yaml:"port"`
	} `yaml:"httpGet"`
	InitialDelaySeconds int `yaml:"initialDelaySeconds"`
	PeriodSeconds       int `yaml:"periodSeconds"`
	TimeoutSeconds      int `yaml:"timeoutSeconds"`
	FailureThreshold    int `yaml:"failureThreshold"`
}

type resources struct {
	Requests map[string]string `yaml:"requests"`
	Limits   map[string]string `yaml:"limits"`
}

type podDisruptionBudget struct {
	typeMeta `yaml:",inline"`
	Metadata objectMeta `yaml:"metadata"`
	Spec     struct {
		MaxUnavailable *intOrString  `yaml:"maxUnavailable"`
		MinAvailable   *intOrString  `yaml:"minAvailable"`
		Selector       labelSelector `yaml:"selector"`
	} `yaml:"spec"`
}

type kustomization struct {
	typeMeta  `yaml:",inline"`
	Namespace string   `yaml:"namespace"`
	Resources []string `yaml:"resources"`
	Images    []struct {
		Name    string `yaml:"name"`
		NewName string `yaml:"newName"`
		NewTag  string `yaml:"newTag"`
	} `yaml:"images"`
}

// k8sObjects is everything in examples/kubernetes, by kind.
type k8sObjects struct {
	files         []string // the YAML files other than kustomization.yaml
	kustomization *kustomization
	sts           *statefulSet
	services      []*service
	secrets       []*secret
	pdbs          []*podDisruptionBudget
	problems      problems // parse-time: unknown kinds, wrong apiVersions, extra StatefulSets
}

// apiVersions are the expected apiVersion of each kind the example uses.
var apiVersions = map[string]string{
	"Secret":              "v1",
	"Service":             "v1",
	"StatefulSet":         "apps/v1",
	"PodDisruptionBudget": "policy/v1",
	"Kustomization":       "kustomize.config.k8s.io/v1beta1",
}

func readKubernetes(t *testing.T) *k8sObjects {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("kubernetes", "*.y*ml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no YAML in examples/kubernetes (%v)", err)
	}
	o := &k8sObjects{}
	for _, path := range paths {
		base := filepath.Base(path)
		if base != "kustomization.yaml" {
			o.files = append(o.files, base)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for i := 0; ; i++ {
			var doc yaml.Node
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if err := o.add(fmt.Sprintf("%s#%d", base, i), &doc); err != nil {
				t.Fatal(err)
			}
		}
	}
	return o
}

// add decodes one document strictly into the type its kind names.
func (o *k8sObjects) add(where string, doc *yaml.Node) error {
	var tm typeMeta
	if err := doc.Decode(&tm); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if want, ok := apiVersions[tm.Kind]; !ok {
		o.problems.addf("%s: unexpected kind %q", where, tm.Kind)
		return nil
	} else if tm.APIVersion != want {
		o.problems.addf("%s: %s has apiVersion %q, want %q", where, tm.Kind, tm.APIVersion, want)
	}
	var out any
	switch tm.Kind {
	case "Secret":
		s := &secret{}
		o.secrets, out = append(o.secrets, s), s
	case "Service":
		s := &service{}
		o.services, out = append(o.services, s), s
	case "StatefulSet":
		if o.sts != nil {
			o.problems.addf("%s: a second StatefulSet", where)
		}
		o.sts = &statefulSet{}
		out = o.sts
	case "PodDisruptionBudget":
		s := &podDisruptionBudget{}
		o.pdbs, out = append(o.pdbs, s), s
	case "Kustomization":
		o.kustomization = &kustomization{}
		out = o.kustomization
	}
	// yaml.Node.Decode cannot reject unknown fields; a Decoder over the
	// re-encoded document can.
	raw, err := yaml.Marshal(doc)
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s: %s: %w", where, tm.Kind, err)
	}
	return nil
}

// selects reports whether a non-empty selector matches labels.
func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

var k8sVar = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// Sample values for the downward API, to expand $(VAR) in arguments.
var fieldSamples = map[string]string{
	"metadata.name":      "sqlcluster-0",
	"metadata.namespace": "default",
	"status.podIP":       "10.1.2.3",
}

// checkKubernetes checks the manifests against the flags of sqlclusterd and
// against each other.
func checkKubernetes(b *binaries, o *k8sObjects) problems {
	p := slices.Clone(o.problems)

	// The kustomization applies exactly the other files.
	if o.kustomization == nil {
		p.addf("kubernetes: no kustomization.yaml")
	} else {
		res := slices.Clone(o.kustomization.Resources)
		sort.Strings(res)
		for _, f := range o.files {
			if !slices.Contains(res, f) {
				p.addf("kustomization.yaml: %s is not listed in resources", f)
			}
		}
		for _, r := range res {
			if !slices.Contains(o.files, r) {
				p.addf("kustomization.yaml: resource %s does not exist", r)
			}
		}
	}
	if len(o.secrets) == 0 || len(o.pdbs) == 0 || len(o.services) == 0 {
		p.addf("kubernetes: want a Secret, Services and a PodDisruptionBudget; have %d, %d, %d", len(o.secrets), len(o.services), len(o.pdbs))
	}
	sts := o.sts
	if sts == nil {
		p.addf("kubernetes: no StatefulSet")
		return p
	}
	spec := &sts.Spec
	podLabels := spec.Template.Metadata.Labels
	if !selects(spec.Selector.MatchLabels, podLabels) {
		p.addf("StatefulSet: selector %v does not match the pod labels %v", spec.Selector.MatchLabels, podLabels)
	}
	if spec.Replicas != 3 {
		p.addf("StatefulSet: replicas %d, want 3", spec.Replicas)
	}
	if spec.PodManagementPolicy != "Parallel" {
		p.addf("StatefulSet: podManagementPolicy %q, want Parallel (the bootstrap nodes wait for each other)", spec.PodManagementPolicy)
	}
	if len(spec.Template.Spec.Containers) != 1 {
		p.addf("StatefulSet: %d containers, want 1", len(spec.Template.Spec.Containers))
		return p
	}
	c := &spec.Template.Spec.Containers[0]
	where := "StatefulSet container " + c.Name
	if !strings.HasPrefix(c.Image, "sqlcluster:") && !strings.Contains(c.Image, "/sqlcluster:") {
		p.addf("%s: image %q is not sqlcluster", where, c.Image)
	}

	// Environment: the downward API and the Secret give the values; every
	// SQLCLUSTER_* variable must be one sqlclusterd reads.
	defined := map[string]string{}
	var env []string
	for _, e := range c.Env {
		v := e.Value
		switch {
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil:
			s, ok := fieldSamples[e.ValueFrom.FieldRef.FieldPath]
			if !ok {
				p.addf("%s: env %s: unexpected fieldPath %q", where, e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
			v = s
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			v = secretValue(&p, o, where, e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
		}
		defined[e.Name] = v
		if strings.HasPrefix(e.Name, "SQLCLUSTER_") {
			env = append(env, e.Name+"="+v)
		}
	}

	// Arguments: $(VAR) must be defined above (Kubernetes leaves undefined
	// references as they are), then the flags must be sqlclusterd's.
	args := make([]string, len(c.Args))
	for i, a := range c.Args {
		args[i] = k8sVar.ReplaceAllStringFunc(a, func(m string) string {
			name := k8sVar.FindStringSubmatch(m)[1]
			v, ok := defined[name]
			if !ok {
				p.addf("%s: argument %q uses $(%s), which is not in the container's env", where, a, name)
			}
			return v
		})
	}
	vals := b.serverArgs(&p, where, args, env)
	raw := rawArgs(c.Args)
	flagOrEnv := func(flag string) string {
		if v, ok := vals[flag]; ok {
			return v
		}
		for _, e := range env {
			name, v, _ := strings.Cut(e, "=")
			if b.envs[name] == flag {
				return v
			}
		}
		return ""
	}

	if vals["mode"] != "stream" && vals["mode"] != "raft" {
		p.addf("%s: --mode=%q, want stream or raft", where, vals["mode"])
	}
	if raw["node-id"] != "$(POD_NAME)" || fieldPath(c, "POD_NAME") != "metadata.name" {
		p.addf("%s: --node-id must be $(POD_NAME) from metadata.name (stable across restarts)", where)
	}
	headless := findService(o, spec.ServiceName)
	switch {
	case headless == nil:
		p.addf("StatefulSet: serviceName %q is not a Service here", spec.ServiceName)
	case headless.Spec.ClusterIP != "None":
		p.addf("StatefulSet: serviceName %q is not headless (clusterIP: None)", spec.ServiceName)
	case !headless.Spec.PublishNotReadyAddresses:
		p.addf("Service %s: publishNotReadyAddresses must be true, or gossip seeds do not resolve before the pods are ready", spec.ServiceName)
	}
	svcDNS := spec.ServiceName + ".$(NAMESPACE).svc.cluster.local"
	switch adv := raw["advertise-addr"]; {
	case adv == "$(POD_IP)" && fieldPath(c, "POD_IP") == "status.podIP":
	case adv == "$(POD_NAME)."+svcDNS:
	default:
		p.addf("%s: --advertise-addr=%q, want $(POD_IP) or $(POD_NAME).%s", where, adv, svcDNS)
	}
	if fieldPath(c, "NAMESPACE") != "metadata.namespace" && strings.Contains(strings.Join(c.Args, " "), "$(NAMESPACE)") {
		p.addf("%s: $(NAMESPACE) must come from metadata.namespace", where)
	}
	_, gossipPort := hostPort(&p, where, "gossip-addr", vals["gossip-addr"])
	_, peerPort := hostPort(&p, where, "peer-addr", vals["peer-addr"])
	_, pgPort := hostPort(&p, where, "pg-addr", vals["pg-addr"])
	_, adminPort := hostPort(&p, where, "admin-addr", vals["admin-addr"])
	for _, seed := range strings.Split(raw["join"], ",") {
		host, port, _ := strings.Cut(seed, ":")
		ok := host == svcDNS
		for i := 0; i < spec.Replicas; i++ {
			ok = ok || host == fmt.Sprintf("%s-%d.%s", sts.Metadata.Name, i, svcDNS)
		}
		if !ok || port != gossipPort {
			p.addf("%s: --join seed %q is neither the headless service %s:%s nor one of its pods", where, seed, svcDNS, gossipPort)
		}
	}
	if vals["bootstrap-expect"] != strconv.Itoa(spec.Replicas) {
		p.addf("%s: --bootstrap-expect=%q, want the replica count %d", where, vals["bootstrap-expect"], spec.Replicas)
	}
	if s := flagOrEnv("cluster-secret"); !validSecret(s) {
		p.addf("%s: no valid cluster secret (flag or SQLCLUSTER_CLUSTER_SECRET): %q", where, s)
	}
	if raw["cluster-secret"] != "" {
		p.addf("%s: the cluster secret is on the command line; take SQLCLUSTER_CLUSTER_SECRET from the Secret", where)
	}

	// The data directory is on the claim template's volume.
	dataDir := flagOrEnv("data-dir")
	mounted := false
	for _, m := range c.VolumeMounts {
		if m.MountPath != dataDir {
			continue
		}
		mounted = true
		if !slices.ContainsFunc(spec.VolumeClaimTemplates, func(v claimTemplate) bool { return v.Metadata.Name == m.Name }) {
			p.addf("%s: the data directory %s is on volume %q, which is no volumeClaimTemplate", where, dataDir, m.Name)
		}
	}
	if !mounted {
		p.addf("%s: nothing is mounted at the data directory %q", where, dataDir)
	}

	// Container ports match the listen addresses.
	portOf := func(ref intOrString, proto string) string {
		for _, cp := range c.Ports {
			if (string(ref) == cp.Name || string(ref) == strconv.Itoa(cp.ContainerPort)) && protocol(cp.Protocol) == protocol(proto) {
				return strconv.Itoa(cp.ContainerPort)
			}
		}
		return ""
	}
	for _, w := range []struct{ name, proto, port string }{
		{"pg", "TCP", pgPort}, {"admin", "TCP", adminPort}, {"gossip-tcp", "TCP", gossipPort},
		{"gossip-udp", "UDP", gossipPort}, {"peer", "TCP", peerPort},
	} {
		if got := portOf(intOrString(w.name), w.proto); got != w.port {
			p.addf("%s: container port %s/%s is %q, want %s (from the flags)", where, w.name, w.proto, got, w.port)
		}
	}

	// Probes: the admin API's /health and /ready.
	for _, pr := range []struct {
		name, path string
		probe      *probe
	}{{"livenessProbe", "/health", c.LivenessProbe}, {"readinessProbe", "/ready", c.ReadinessProbe}} {
		switch {
		case pr.probe == nil || pr.probe.HTTPGet == nil:
			p.addf("%s: no %s httpGet", where, pr.name)
		case pr.probe.HTTPGet.Path != pr.path:
			p.addf("%s: %s path %q, want %s", where, pr.name, pr.probe.HTTPGet.Path, pr.path)
		case portOf(pr.probe.HTTPGet.Port, "TCP") != adminPort:
			p.addf("%s: %s port %q is not the admin port %s", where, pr.name, pr.probe.HTTPGet.Port, adminPort)
		}
	}

	// Services select the pods and target real container ports; the
	// headless one carries gossip (TCP and UDP) and peer traffic, a client
	// one carries pg.
	clientPG := false
	for _, s := range o.services {
		w := "Service " + s.Metadata.Name
		if !selects(s.Spec.Selector, podLabels) {
			p.addf("%s: selector %v does not select the pods (labels %v)", w, s.Spec.Selector, podLabels)
		}
		for _, sp := range s.Spec.Ports {
			target := sp.TargetPort
			if target == "" {
				target = intOrString(strconv.Itoa(sp.Port))
			}
			got := portOf(target, sp.Protocol)
			if got == "" {
				p.addf("%s: port %s targets %q/%s, which the container does not have", w, sp.Name, target, protocol(sp.Protocol))
			}
			if s.Spec.ClusterIP != "None" && got == pgPort {
				clientPG = true
			}
		}
	}
	if headless != nil {
		for _, w := range []struct{ port, proto string }{{gossipPort, "TCP"}, {gossipPort, "UDP"}, {peerPort, "TCP"}} {
			if !slices.ContainsFunc(headless.Spec.Ports, func(sp servicePort) bool {
				return portOf(sp.TargetPort, sp.Protocol) == w.port && protocol(sp.Protocol) == w.proto
			}) {
				p.addf("Service %s: no port for %s/%s", headless.Metadata.Name, w.port, w.proto)
			}
		}
	}
	if !clientPG {
		p.addf("kubernetes: no client (non-headless) Service for the pg port %s", pgPort)
	}

	for _, pdb := range o.pdbs {
		w := "PodDisruptionBudget " + pdb.Metadata.Name
		if !selects(pdb.Spec.Selector.MatchLabels, podLabels) {
			p.addf("%s: selector %v does not select the pods (labels %v)", w, pdb.Spec.Selector.MatchLabels, podLabels)
		}
		if pdb.Spec.MaxUnavailable == nil || *pdb.Spec.MaxUnavailable != "1" || pdb.Spec.MinAvailable != nil {
			p.addf("%s: want maxUnavailable: 1 (and no minAvailable)", w)
		}
	}
	return p
}

// secretValue is the value of key in the Secret called name.
func secretValue(p *problems, o *k8sObjects, where, env, name, key string) string {
	for _, s := range o.secrets {
		if s.Metadata.Name != name {
			continue
		}
		if v, ok := s.StringData[key]; ok {
			return v
		}
		if v, ok := s.Data[key]; ok {
			// data holds the value in base64.
			dec, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				p.addf("Secret %s: data[%s] is not base64: %v", name, key, err)
			}
			return string(dec)
		}
		p.addf("%s: env %s: Secret %s has no key %q", where, env, name, key)
		return ""
	}
	p.addf("%s: env %s: no Secret %q here", where, env, name)
	return ""
}

// fieldPath is the downward-API field an env variable comes from.
func fieldPath(c *container, name string) string {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
			return e.ValueFrom.FieldRef.FieldPath
		}
	}
	return ""
}

func findService(o *k8sObjects, name string) *service {
	for _, s := range o.services {
		if s.Metadata.Name == name {
			return s
		}
	}
	return nil
}

// protocol defaults to TCP, as Kubernetes does.
func protocol(p string) string {
	if p == "" {
		return "TCP"
	}
	return p
}
