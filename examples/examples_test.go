package examples

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The image's layout, shared by the Dockerfile, the Makefile's staging
// directory, the compose health check and the Kubernetes manifests.
const (
	imageName = "sqlcluster:dev"
	binDir    = "/usr/local/bin"
)

// binaries are cmd/sqlclusterd and cmd/sqlclusterctl built from this tree,
// with the flags sqlclusterd accepts as its --help lists them.
type binaries struct {
	server, ctl string
	flags       map[string]bool   // "data-dir"
	envs        map[string]string // "SQLCLUSTER_DATA_DIR" → "data-dir"
}

var (
	buildOnce sync.Once
	built     *binaries
	buildErr  error
)

// build compiles both commands once per test binary; the go build cache
// makes it quick after the first time.
func build(t *testing.T) *binaries {
	t.Helper()
	buildOnce.Do(func() { built, buildErr = buildBinaries() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func buildBinaries() (*binaries, error) {
	dir, err := os.MkdirTemp("", "sqlcluster-examples-")
	if err != nil {
		return nil, err
	}
	// The directory outlives the test that triggered the build (the result
	// is shared); the OS cleans temporary directories.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), "./cmd/sqlclusterd", "./cmd/sqlclusterctl")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building sqlclusterd and sqlclusterctl: %v\n%s", err, out)
	}
	b := &binaries{server: filepath.Join(dir, "sqlclusterd"), ctl: filepath.Join(dir, "sqlclusterctl")}
	help, err := b.run(ctx, b.server, []string{"--help"}, nil)
	if err != nil {
		return nil, fmt.Errorf("running sqlclusterd --help: %w", err)
	}
	if b.flags, b.envs, err = parseHelp(help); err != nil {
		return nil, err
	}
	return b, nil
}

var (
	helpFlag = regexp.MustCompile(`(?m)^\s+--([a-z0-9][a-z0-9-]*)\b`)
	helpEnv  = regexp.MustCompile(`\[\$(SQLCLUSTER_[A-Z0-9_]+)\]`)
)

// parseHelp reads the flags and their environment variables from urfave/cli's
// help text: "   --data-dir value   directory … [$SQLCLUSTER_DATA_DIR]".
func parseHelp(help string) (map[string]bool, map[string]string, error) {
	flags, envs := map[string]bool{}, map[string]string{}
	for _, line := range strings.Split(help, "\n") {
		m := helpFlag.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		flags[m[1]] = true
		if e := helpEnv.FindStringSubmatch(line); e != nil {
			envs[e[1]] = m[1]
		}
	}
	for _, want := range []string{"mode", "data-dir", "join", "cluster-secret"} {
		if !flags[want] {
			return nil, nil, fmt.Errorf("sqlclusterd --help lists no --%s; the help format changed?\n%s", want, help)
		}
	}
	return flags, envs, nil
}

// run executes a binary with only the given environment (nothing leaks in
// from the test's own) and returns its standard output.
func (b *binaries) run(ctx context.Context, bin string, args, env []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		// On a bad flag urfave/cli prints the whole help to stdout; the
		// error itself goes to stderr.
		msg := strings.TrimSpace(errOut.String())
		if msg == "" {
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			msg = lines[len(lines)-1]
		}
		return out.String(), fmt.Errorf("%s %s: %v: %s", filepath.Base(bin), strings.Join(args, " "), err, msg)
	}
	return out.String(), nil
}

// serverArgs checks an argument list for sqlclusterd: every argument is
// --flag=value with a known flag, none is repeated, and the binary itself
// parses the list (types and all) when asked for --help on top of it, with
// env as its environment. It returns the values by flag name.
func (b *binaries) serverArgs(p *problems, where string, args, env []string) map[string]string {
	vals := map[string]string{}
	for _, a := range args {
		name, val, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		switch {
		case !strings.HasPrefix(a, "--") || !ok:
			p.addf("%s: argument %q is not --flag=value", where, a)
			continue
		case !b.flags[name]:
			p.addf("%s: sqlclusterd has no flag --%s", where, name)
		case vals[name] != "":
			p.addf("%s: --%s given twice", where, name)
		}
		vals[name] = val
	}
	for _, e := range env {
		name, _, _ := strings.Cut(e, "=")
		if strings.HasPrefix(name, "SQLCLUSTER_") && b.envs[name] == "" {
			p.addf("%s: sqlclusterd reads no variable %s", where, name)
		}
	}
	if _, err := b.run(context.Background(), b.server, append(slices.Clone(args), "--help"), env); err != nil {
		p.addf("%s: sqlclusterd rejects the arguments: %v", where, err)
	}
	return vals
}

// ctlArgs checks an sqlclusterctl command line the same way.
func (b *binaries) ctlArgs(p *problems, where string, args []string) {
	if _, err := b.run(context.Background(), b.ctl, append(slices.Clone(args), "--help"), nil); err != nil {
		p.addf("%s: sqlclusterctl rejects the arguments: %v", where, err)
	}
}

// problems collects what is wrong with an example, so that one run reports
// everything and the negative tests can look for a specific complaint.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

func (p problems) report(t *testing.T) {
	t.Helper()
	for _, s := range p {
		t.Error(s)
	}
}

// expect fails unless some problem contains want.
func (p problems) expect(t *testing.T, want string) {
	t.Helper()
	for _, s := range p {
		if strings.Contains(s, want) {
			return
		}
	}
	t.Errorf("no problem mentions %q; got %q", want, []string(p))
}

// validSecret reports whether s is what --cluster-secret accepts: base64 of
// 16, 24 or 32 bytes.
func validSecret(s string) bool {
	b, err := base64.StdEncoding.DecodeString(s)
	return err == nil && (len(b) == 16 || len(b) == 24 || len(b) == 32)
}

// hostPort splits a --flag's host:port value, reporting a problem if it is
// not one.
func hostPort(p *problems, where, flag, v string) (host, port string) {
	host, port, err := net.SplitHostPort(v)
	if err != nil || port == "" {
		p.addf("%s: --%s=%q is not host:port", where, flag, v)
	}
	return host, port
}

// readDockerfile returns the image recipe, one instruction per entry with line
// continuations joined.
func readDockerfile(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	cur := ""
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || (line == "" && cur == "") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		if s := strings.TrimSpace(cur + line); s != "" {
			out = append(out, s)
		}
		cur = ""
	}
	return out
}

// checkDockerfile: FROM scratch only, the entrypoint and the health check are
// the binaries in binDir in exec form (there is no shell), and the Makefile
// stages the binaries where the Dockerfile's COPY expects them.
func checkDockerfile(b *binaries, instrs []string, makefile string) problems {
	var p problems
	execForm := func(instr, rest string) []string {
		var argv []string
		if err := json.Unmarshal([]byte(rest), &argv); err != nil || len(argv) == 0 {
			p.addf("Dockerfile: %s %s is not in exec form (the image has no shell)", instr, rest)
		}
		return argv
	}
	seen := map[string]bool{}
	for _, in := range instrs {
		kw, rest, _ := strings.Cut(in, " ")
		kw, rest = strings.ToUpper(kw), strings.TrimSpace(rest)
		seen[kw] = true
		switch kw {
		case "FROM":
			if rest != "scratch" {
				p.addf("Dockerfile: FROM %s: there is no registry here, the image must be FROM scratch", rest)
			}
		case "ENTRYPOINT":
			if argv := execForm(kw, rest); len(argv) > 0 && argv[0] != binDir+"/sqlclusterd" {
				p.addf("Dockerfile: ENTRYPOINT runs %s, want %s/sqlclusterd", argv[0], binDir)
			}
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(rest, "CMD ")
			if !ok {
				p.addf("Dockerfile: HEALTHCHECK without CMD")
				continue
			}
			if argv := execForm(kw, cmd); len(argv) > 0 {
				if argv[0] != binDir+"/sqlclusterctl" {
					p.addf("Dockerfile: HEALTHCHECK runs %s, want %s/sqlclusterctl", argv[0], binDir)
				}
				b.ctlArgs(&p, "Dockerfile HEALTHCHECK", argv[1:])
			}
		case "ENV":
			for _, kv := range strings.Fields(rest) {
				name, _, _ := strings.Cut(kv, "=")
				if strings.HasPrefix(name, "SQLCLUSTER_") && b.envs[name] == "" {
					p.addf("Dockerfile: sqlclusterd reads no variable %s", name)
				}
			}
		}
	}
	for _, kw := range []string{"FROM", "ENTRYPOINT", "HEALTHCHECK", "USER"} {
		if !seen[kw] {
			p.addf("Dockerfile: no %s", kw)
		}
	}
	if !strings.Contains(makefile, "bin/image/rootfs"+binDir) {
		p.addf("Makefile: the image target does not stage the binaries in bin/image/rootfs%s", binDir)
	}
	return p
}

func readMakefile(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestDockerfile(t *testing.T) {
	b := build(t)
	checkDockerfile(b, readDockerfile(t), readMakefile(t)).report(t)
}

func TestCompose(t *testing.T) {
	b := build(t)
	checkCompose(b, readCompose(t)).report(t)
}

func TestKubernetes(t *testing.T) {
	b := build(t)
	checkKubernetes(b, readKubernetes(t)).report(t)
}

// The negative tests break one thing in a correct example and expect the
// check to say so: a check that cannot fail checks nothing.

func TestDockerfileCheckFails(t *testing.T) {
	b := build(t)
	good := readDockerfile(t)
	mutate := func(f func(string) string) []string {
		out := slices.Clone(good)
		for i := range out {
			out[i] = f(out[i])
		}
		return out
	}
	checkDockerfile(b, mutate(func(s string) string { return strings.Replace(s, "FROM scratch", "FROM debian:bookworm", 1) }), readMakefile(t)).
		expect(t, "must be FROM scratch")
	checkDockerfile(b, mutate(func(s string) string {
		return strings.Replace(s, `"--node"`, `"--nodes"`, 1)
	}), readMakefile(t)).expect(t, "sqlclusterctl rejects")
	checkDockerfile(b, good, "image:\n\tcp bin/static/* bin/image/").expect(t, "does not stage")
}

func TestComposeCheckFails(t *testing.T) {
	b := build(t)
	cases := []struct {
		name, want string
		mutate     func(*composeFile)
	}{
		{"unknown flag", "has no flag --bogus", func(c *composeFile) {
			s := c.Services["n2"]
			s.Command = append(s.Command, "--bogus=1")
			c.Services["n2"] = s
		}},
		{"bad flag value", "rejects the arguments", func(c *composeFile) {
			s := c.Services["n1"]
			s.Command = replaceArg(s.Command, "--bootstrap-expect=", "--bootstrap-expect=three")
			c.Services["n1"] = s
		}},
		{"mode not from the variable", "SQLCLUSTER_MODE", func(c *composeFile) {
			s := c.Services["n3"]
			s.Command = replaceArg(s.Command, "--mode=", "--mode=stream")
			c.Services["n3"] = s
		}},
		{"shell health check", "exec form", func(c *composeFile) {
			s := c.Services["n1"]
			s.Healthcheck.Test = []string{"CMD-SHELL", "sqlclusterctl status"}
			c.Services["n1"] = s
		}},
		{"undeclared volume", "not declared", func(c *composeFile) { delete(c.Volumes, "n2-data") }},
		{"shared volume", "shares volume", func(c *composeFile) {
			s := c.Services["n3"]
			s.Volumes = []string{"n1-data:/var/lib/sqlcluster"}
			c.Services["n3"] = s
		}},
		{"wrong published port", "publish", func(c *composeFile) {
			s := c.Services["n2"]
			s.Ports = []string{"5434:5432", "127.0.0.1:7434:7432"}
			c.Services["n2"] = s
		}},
		{"missing seed", "--join", func(c *composeFile) {
			s := c.Services["n1"]
			s.Command = replaceArg(s.Command, "--join=", "--join=n1:7946,n2:7946")
			c.Services["n1"] = s
		}},
		{"missing service", "want services n1, n2, n3", func(c *composeFile) { delete(c.Services, "n3") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := readCompose(t)
			tc.mutate(c)
			checkCompose(b, c).expect(t, tc.want)
		})
	}
}

func TestKubernetesCheckFails(t *testing.T) {
	b := build(t)
	cases := []struct {
		name, want string
		mutate     func(*k8sObjects)
	}{
		{"unknown flag", "has no flag --peer-address", func(o *k8sObjects) {
			c := &o.sts.Spec.Template.Spec.Containers[0]
			c.Args = replaceArg(c.Args, "--peer-addr=", "--peer-address=0.0.0.0:7947")
		}},
		{"undefined variable", "$(HOSTNAME)", func(o *k8sObjects) {
			c := &o.sts.Spec.Template.Spec.Containers[0]
			c.Args = replaceArg(c.Args, "--node-id=", "--node-id=$(HOSTNAME)")
		}},
		{"unknown variable", "reads no variable SQLCLUSTER_SECRET", func(o *k8sObjects) {
			c := &o.sts.Spec.Template.Spec.Containers[0]
			for i := range c.Env {
				if c.Env[i].Name == "SQLCLUSTER_CLUSTER_SECRET" {
					c.Env[i].Name = "SQLCLUSTER_SECRET"
				}
			}
		}},
		{"liveness path", "/health", func(o *k8sObjects) {
			o.sts.Spec.Template.Spec.Containers[0].LivenessProbe.HTTPGet.Path = "/healthz"
		}},
		{"readiness port", "readinessProbe", func(o *k8sObjects) {
			o.sts.Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = "pg"
		}},
		{"serviceName", "serviceName", func(o *k8sObjects) { o.sts.Spec.ServiceName = "sqlcluster-headless" }},
		{"not ready addresses", "publishNotReadyAddresses", func(o *k8sObjects) {
			for _, s := range o.services {
				s.Spec.PublishNotReadyAddresses = false
			}
		}},
		{"pdb selector", "PodDisruptionBudget", func(o *k8sObjects) {
			o.pdbs[0].Spec.Selector.MatchLabels = map[string]string{"app": "sqlcluster"}
		}},
		{"statefulset selector", "selector", func(o *k8sObjects) {
			o.sts.Spec.Template.Metadata.Labels = map[string]string{"app": "other"}
		}},
		{"bootstrap-expect", "--bootstrap-expect", func(o *k8sObjects) { o.sts.Spec.Replicas = 5 }},
		{"secret key", "no key", func(o *k8sObjects) {
			o.secrets[0].StringData = map[string]string{"secret": o.secrets[0].StringData["cluster-secret"]}
		}},
		{"data volume", "volumeClaimTemplate", func(o *k8sObjects) {
			o.sts.Spec.VolumeClaimTemplates[0].Metadata.Name = "storage"
		}},
		{"kustomization", "not listed", func(o *k8sObjects) {
			o.kustomization.Resources = slices.DeleteFunc(o.kustomization.Resources, func(s string) bool { return s == "pdb.yaml" })
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := readKubernetes(t)
			tc.mutate(o)
			checkKubernetes(b, o).expect(t, tc.want)
		})
	}
}

// replaceArg replaces the argument starting with prefix.
func replaceArg(args []string, prefix, with string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if strings.HasPrefix(a, prefix) {
			out[i] = with
		}
	}
	return out
}
