package examples

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// composeFile is the part of the Compose format the demo uses. Decoding is
// strict, so a misspelt key is an error rather than silently ignored.
type composeFile struct {
	Version  string                     `yaml:"version"`
	Services map[string]composeService  `yaml:"services"`
	Networks map[string]*composeNetwork `yaml:"networks"`
	Volumes  map[string]*struct{}       `yaml:"volumes"`
	// Extension fields (x-…) hold the YAML anchors shared by the services.
	Extensions map[string]any `yaml:",inline"`
}

type composeService struct {
	Image           string   `yaml:"image"`
	Hostname        string   `yaml:"hostname"`
	Command         []string `yaml:"command"`
	Networks        []string `yaml:"networks"`
	Restart         string   `yaml:"restart"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
	Volumes         []string `yaml:"volumes"`
	Ports           []string `yaml:"ports"`
	Healthcheck     struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
}

type composeNetwork struct {
	Driver string `yaml:"driver"`
}

func readCompose(t *testing.T) *composeFile {
	t.Helper()
	raw, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var c composeFile
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return &c
}

var composeVar = regexp.MustCompile(`\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// interpolate expands Compose variables as docker-compose would with the
// given environment: ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR, $$.
func interpolate(s string, env map[string]string) string {
	return composeVar.ReplaceAllStringFunc(s, func(m string) string {
		if m == "$$" {
			return "$"
		}
		g := composeVar.FindStringSubmatch(m)
		name := g[1] + g[4]
		v, set := env[name]
		switch {
		case g[2] == ":-" && v == "":
			return g[3]
		case g[2] == "-" && !set:
			return g[3]
		}
		return v
	})
}

// rawArgs maps each --flag=value of a command to its value as written.
func rawArgs(cmd []string) map[string]string {
	m := map[string]string{}
	for _, a := range cmd {
		if name, val, ok := strings.Cut(strings.TrimPrefix(a, "--"), "="); ok {
			m[name] = val
		}
	}
	return m
}

var (
	composeVersion  = regexp.MustCompile(`^3\.[4-9]$`) // extension fields and start_period need 3.4
	secretVariable  = regexp.MustCompile(`^\$\{(SQLCLUSTER_[A-Z_]+):-([^}]+)\}$`)
	modeFromEnv     = "${SQLCLUSTER_MODE:-stream}"
	composeServices = []string{"n1", "n2", "n3"}
)

// checkCompose checks the three-node demo against the flags of sqlclusterd
// and against itself: every node is reachable under the name it advertises,
// joins all three, has its own declared volume at its data directory,
// publishes its pg and admin ports where the README says, and is
// health-checked by sqlclusterctl in exec form.
func checkCompose(b *binaries, c *composeFile) problems {
	var p problems
	const file = "docker-compose.yml"
	if c.Version != "" && !composeVersion.MatchString(c.Version) {
		p.addf("%s: version %q: docker-compose 1.29 needs 3.4 to 3.9 (or no version)", file, c.Version)
	}
	for k := range c.Extensions {
		if !strings.HasPrefix(k, "x-") {
			p.addf("%s: unknown top-level key %q", file, k)
		}
	}
	var names []string
	for n := range c.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	if !slices.Equal(names, composeServices) {
		p.addf("%s: services %v, want services %s", file, names, strings.Join(composeServices, ", "))
	}
	volumeOf := map[string]string{}
	secrets := map[string]bool{}
	for _, name := range names {
		s := c.Services[name]
		where := file + ": " + name
		if s.Image != imageName {
			p.addf("%s: image %q, want %q (what make image builds)", where, s.Image, imageName)
		}
		args := make([]string, len(s.Command))
		for i, a := range s.Command {
			args[i] = interpolate(a, nil)
		}
		vals := b.serverArgs(&p, where, args, nil)
		raw := rawArgs(s.Command)

		if raw["mode"] != modeFromEnv {
			p.addf("%s: --mode=%q, want --mode=%s", where, raw["mode"], modeFromEnv)
		}
		if vals["node-id"] != name {
			p.addf("%s: --node-id=%q, want the service name", where, vals["node-id"])
		}
		// The other containers reach this one by its service name.
		if vals["advertise-addr"] != name {
			p.addf("%s: --advertise-addr=%q, want the service name %q", where, vals["advertise-addr"], name)
		}
		pgHost, pgPort := hostPort(&p, where, "pg-addr", vals["pg-addr"])
		adminHost, adminPort := hostPort(&p, where, "admin-addr", vals["admin-addr"])
		_, gossipPort := hostPort(&p, where, "gossip-addr", vals["gossip-addr"])
		hostPort(&p, where, "peer-addr", vals["peer-addr"])
		for flag, h := range map[string]string{"pg-addr": pgHost, "admin-addr": adminHost} {
			if h != "0.0.0.0" && h != "" {
				p.addf("%s: --%s listens on %s only; published ports need 0.0.0.0", where, flag, h)
			}
		}

		var want []string
		for _, n := range composeServices {
			want = append(want, n+":"+gossipPort)
		}
		seeds := strings.Split(vals["join"], ",")
		sort.Strings(seeds)
		if !slices.Equal(seeds, want) {
			p.addf("%s: --join=%s, want every node's gossip address %s", where, vals["join"], strings.Join(want, ","))
		}
		if vals["bootstrap-expect"] != strconv.Itoa(len(composeServices)) {
			p.addf("%s: --bootstrap-expect=%q, want %d", where, vals["bootstrap-expect"], len(composeServices))
		}
		if m := secretVariable.FindStringSubmatch(raw["cluster-secret"]); m == nil {
			p.addf("%s: --cluster-secret=%q, want ${SQLCLUSTER_…:-default}", where, raw["cluster-secret"])
		} else if !validSecret(m[2]) {
			p.addf("%s: the default cluster secret %q is not base64 of 16, 24 or 32 bytes", where, m[2])
		}
		secrets[raw["cluster-secret"]] = true

		// Its own named volume, declared, at the data directory.
		found := false
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) < 2 || parts[1] != vals["data-dir"] {
				continue
			}
			found = true
			if _, ok := c.Volumes[parts[0]]; !ok {
				p.addf("%s: volume %q is not declared under volumes:", where, parts[0])
			}
			if other := volumeOf[parts[0]]; other != "" {
				p.addf("%s: shares volume %q with %s", where, parts[0], other)
			}
			volumeOf[parts[0]] = name
		}
		if !found {
			p.addf("%s: no volume mounted at --data-dir=%s", where, vals["data-dir"])
		}

		// n1 → 127.0.0.1:5433 and 127.0.0.1:7433, and so on.
		k, _ := strconv.Atoi(strings.TrimPrefix(name, "n"))
		wantPorts := []string{
			fmt.Sprintf("127.0.0.1:%d:%s", 5432+k, pgPort),
			fmt.Sprintf("127.0.0.1:%d:%s", 7432+k, adminPort),
		}
		ports := slices.Clone(s.Ports)
		sort.Strings(ports)
		if !slices.Equal(ports, wantPorts) {
			p.addf("%s: publishes %v, want %v", where, s.Ports, wantPorts)
		}

		if len(s.Networks) == 0 {
			p.addf("%s: on no network", where)
		}
		for _, n := range s.Networks {
			if _, ok := c.Networks[n]; !ok {
				p.addf("%s: network %q is not declared under networks:", where, n)
			}
		}
		if !slices.Equal(s.Networks, c.Services[names[0]].Networks) {
			p.addf("%s: networks %v differ from %s's", where, s.Networks, names[0])
		}

		hc := s.Healthcheck.Test
		switch {
		case len(hc) < 2 || hc[0] != "CMD":
			p.addf("%s: healthcheck %q is not in exec form [\"CMD\", …] (the image has no shell)", where, hc)
		case hc[1] != binDir+"/sqlclusterctl":
			p.addf("%s: healthcheck runs %s, want %s/sqlclusterctl", where, hc[1], binDir)
		default:
			b.ctlArgs(&p, where+" healthcheck", hc[2:])
			i := slices.Index(hc, "--node")
			if i < 0 || i+1 >= len(hc) || hc[i+1] != "127.0.0.1:"+adminPort {
				p.addf("%s: healthcheck %q does not ask the node's own admin port (--node 127.0.0.1:%s)", where, hc, adminPort)
			}
			if hc[len(hc)-1] != "status" {
				p.addf("%s: healthcheck %q: want sqlclusterctl … status", where, hc)
			}
		}
	}
	if len(secrets) > 1 {
		p.addf("%s: the nodes have different cluster secrets", file)
	}
	return p
}
