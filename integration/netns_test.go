package integration

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// netLab puts each node of a cluster in its own Linux network namespace,
// attached to a private bridge, so a test can cut links between nodes with
// iptables inside the namespaces: real partitions, on one machine. The
// test process itself stays in the root namespace and reaches every node
// through the bridge, partitions or not. Needs root (CI runs as root).
type netLab struct {
	t       *testing.T
	prefix  string // short, unique: names must fit IFNAMSIZ
	subnet  string // e.g. 10.213.7
	bridge  string
	fwdRule []string
}

func run(t testing.TB, name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func newNetLab(t *testing.T) *netLab {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("partition tests need root for network namespaces")
		}
		t.Skip("partition tests need root for network namespaces")
	}
	l := &netLab{t: t, prefix: fmt.Sprintf("sq%04x", rand.IntN(1<<16)), subnet: fmt.Sprintf("10.%d.%d", 200+rand.IntN(50), rand.IntN(250))}
	l.bridge = l.prefix + "br"
	t.Cleanup(l.close)
	must := func(name string, args ...string) {
		if err := run(t, name, args...); err != nil {
			t.Fatalf("setting up the network lab: %v", err)
		}
	}
	must("ip", "link", "add", l.bridge, "type", "bridge")
	must("ip", "addr", "add", l.subnet+".254/24", "dev", l.bridge)
	must("ip", "link", "set", l.bridge, "up")
	// Docker sets the FORWARD policy to DROP and bridged packets traverse
	// it (br_netfilter); let the lab's own traffic through.
	l.fwdRule = []string{"FORWARD", "-i", l.bridge, "-o", l.bridge, "-j", "ACCEPT"}
	if err := run(t, "iptables", append([]string{"-I"}, l.fwdRule...)...); err != nil {
		l.fwdRule = nil
	}
	return l
}

func (l *netLab) ns(i int) string   { return fmt.Sprintf("%sn%d", l.prefix, i) }
func (l *netLab) ip(i int) string   { return fmt.Sprintf("%s.%d", l.subnet, i) }
func (l *netLab) veth(i int) string { return fmt.Sprintf("%sv%d", l.prefix, i) }

// addHost creates namespace i with address ip(i).
func (l *netLab) addHost(i int) {
	t := l.t
	must := func(name string, args ...string) {
		if err := run(t, name, args...); err != nil {
			t.Fatalf("adding host %d: %v", i, err)
		}
	}
	ns, v := l.ns(i), l.veth(i)
	must("ip", "netns", "add", ns)
	must("ip", "link", "add", v, "type", "veth", "peer", "name", v+"p")
	must("ip", "link", "set", v+"p", "netns", ns)
	must("ip", "link", "set", v, "master", l.bridge)
	must("ip", "link", "set", v, "up")
	must("ip", "netns", "exec", ns, "ip", "addr", "add", l.ip(i)+"/24", "dev", v+"p")
	must("ip", "netns", "exec", ns, "ip", "link", "set", v+"p", "up")
	must("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
}

// cut drops all traffic between hosts i and j (both directions).
func (l *netLab) cut(i, j int) {
	for _, p := range [][2]int{{i, j}, {j, i}} {
		ns, peer := l.ns(p[0]), l.ip(p[1])
		for _, rule := range [][]string{{"INPUT", "-s", peer}, {"OUTPUT", "-d", peer}} {
			if err := run(l.t, "ip", append([]string{"netns", "exec", ns, "iptables", "-A"}, append(rule, "-j", "DROP")...)...); err != nil {
				l.t.Fatalf("cutting %d-%d: %v", i, j, err)
			}
		}
	}
}

// heal removes every cut.
func (l *netLab) heal(hosts int) {
	for i := 1; i <= hosts; i++ {
		for _, chain := range []string{"INPUT", "OUTPUT"} {
			if err := run(l.t, "ip", "netns", "exec", l.ns(i), "iptables", "-F", chain); err != nil {
				l.t.Errorf("healing host %d: %v", i, err)
			}
		}
	}
}

func (l *netLab) close() {
	for i := 1; i <= 9; i++ {
		exec.Command("ip", "netns", "del", l.ns(i)).Run()
		exec.Command("ip", "link", "del", l.veth(i)).Run()
	}
	exec.Command("ip", "link", "del", l.bridge).Run()
	if l.fwdRule != nil {
		exec.Command("iptables", append([]string{"-D"}, l.fwdRule...)...).Run()
	}
}
