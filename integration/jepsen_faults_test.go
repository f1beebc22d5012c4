package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The nemesis: the faults a run injects into its cluster while the
// workload runs, from 30% of the run for 40% of it (some take longer:
// every node restarted in turn, a membership change that waits for the
// cluster). Random choices come from a per-run seed that the test log
// prints, so a failing schedule can be read back.
//
//	none              nothing
//	kill              kill -9 of the primary/leader, restarted after the hold
//	kill-random       kill -9 of a random node, restarted after the hold
//	pause             SIGSTOP of the primary/leader for longer than the lease, then SIGCONT
//	partition         the primary/leader cut off from every other node
//	partition-halves  a random minority cut off from the majority (the primary on either side)
//	bridge            two halves that cannot see each other and one node that sees both
//	restart           every node in turn stopped with SIGTERM and started again
//	membership        a replica removed from the voters and added back, then the primary role moved
//	combined          partition of the primary + kill -9 of a node on the other side
//	                  (restarted before the heal), then a pause of the new primary
var jepsenFaults = []string{"none", "kill", "kill-random", "pause", "partition", "partition-halves", "bridge", "restart", "membership", "combined"}

// nemesis injects one run's fault.
type nemesis struct {
	t   *testing.T
	c   *testCluster
	r   jepsenRun
	rng *rand.Rand
}

func newNemesis(t *testing.T, c *testCluster, r jepsenRun) *nemesis {
	seed := rand.Uint64()
	t.Logf("nemesis %s, seed %d", r.fault, seed)
	return &nemesis{t: t, c: c, r: r, rng: rand.New(rand.NewPCG(seed, seed^0x5eed))}
}

// victim is r.faultTarget's choice, else the primary/leader.
func (m *nemesis) victim() *clusterNode {
	if m.r.faultTarget != nil {
		return m.r.faultTarget(m.c)
	}
	return m.c.waitPrimary(20 * time.Second)
}

func (m *nemesis) randomNode() *clusterNode { return m.c.nodes[m.rng.IntN(len(m.c.nodes))] }

// shuffled returns the nodes in a random order with first (if not nil)
// moved to the front.
func (m *nemesis) shuffled(first *clusterNode) []*clusterNode {
	ns := slices.Clone(m.c.nodes)
	m.rng.Shuffle(len(ns), func(i, j int) { ns[i], ns[j] = ns[j], ns[i] })
	if first != nil {
		i := slices.Index(ns, first)
		ns[0], ns[i] = ns[i], ns[0]
	}
	return ns
}

// cutBetween cuts every link between a node of a and a node of b.
func (m *nemesis) cutBetween(a, b []*clusterNode) {
	for _, x := range a {
		for _, y := range b {
			m.c.lab.cut(x.host, y.host)
		}
	}
}

func ids(ns []*clusterNode) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.id)
	}
	return "{" + strings.Join(s, ",") + "}"
}

// inject applies the run's fault while ctx (the workload) runs.
func (m *nemesis) inject(ctx context.Context) {
	r, c, t := m.r, m.c, m.t
	if r.fault == "none" {
		return
	}
	sleepCtx(ctx, r.duration*3/10)
	hold := r.duration * 4 / 10
	switch r.fault {
	case "kill", "kill-random":
		v := m.randomNode()
		if r.fault == "kill" {
			v = m.victim()
		}
		t.Logf("fault: kill -9 %s for %v", v.id, hold)
		v.kill9()
		sleepCtx(ctx, hold)
		v.start()
	case "pause":
		v := m.victim()
		// Longer than the lease (1s): the others elect a new primary while
		// this one sleeps, then it wakes up believing it still leads.
		d := max(hold, 3*time.Second)
		t.Logf("fault: SIGSTOP %s for %v", v.id, d)
		v.signal(syscall.SIGSTOP)
		time.Sleep(d)
		v.signal(syscall.SIGCONT)
	case "partition":
		v := m.victim()
		rest := m.shuffled(v)[1:]
		t.Logf("fault: partition %s | %s for %v", v.id, ids(rest), hold)
		m.cutBetween([]*clusterNode{v}, rest)
		sleepCtx(ctx, hold)
		c.lab.heal(len(c.nodes))
	case "partition-halves":
		ns := m.shuffled(nil)
		minority, majority := ns[:len(ns)/2], ns[len(ns)/2:]
		t.Logf("fault: partition %s | %s for %v", ids(minority), ids(majority), hold)
		m.cutBetween(minority, majority)
		sleepCtx(ctx, hold)
		c.lab.heal(len(c.nodes))
	case "bridge":
		// The primary sits in one half, so the other half and the bridge
		// form a majority that cannot see it: an election the bridge
		// must not let produce two primaries.
		ns := m.shuffled(m.victim())
		half := len(ns) / 2
		left, bridge, right := ns[:half], ns[half], ns[half+1:]
		t.Logf("fault: bridge %s - %s - %s for %v", ids(left), bridge.id, ids(right), hold)
		m.cutBetween(left, right)
		sleepCtx(ctx, hold)
		c.lab.heal(len(c.nodes))
	case "restart":
		for _, n := range m.shuffled(nil) {
			t.Logf("fault: restarting %s (SIGTERM)", n.id)
			n.stop()
			n.start()
			sleepCtx(ctx, 500*time.Millisecond)
		}
	case "membership":
		m.membership(ctx, hold)
	case "combined":
		v := m.victim()
		rest := m.shuffled(v)[1:]
		k := rest[m.rng.IntN(len(rest))]
		t.Logf("fault: partition %s | %s and kill -9 %s for %v", v.id, ids(rest), k.id, hold)
		m.cutBetween([]*clusterNode{v}, rest)
		k.kill9()
		sleepCtx(ctx, hold/2)
		k.start()
		sleepCtx(ctx, hold/2)
		c.lab.heal(len(c.nodes))
		p := c.waitPrimary(30 * time.Second)
		t.Logf("fault: healed; SIGSTOP %s for 3s", p.id)
		p.signal(syscall.SIGSTOP)
		time.Sleep(3 * time.Second)
		p.signal(syscall.SIGCONT)
	default:
		t.Fatalf("unknown fault %q (known: %s)", r.fault, strings.Join(jepsenFaults, ", "))
	}
}

// membership takes a replica out of the voters and puts it back, then
// moves the primary role to another node, all under load. Stream mode
// removes and adds the voter; raft mode demotes it to spare and promotes
// it to voter again. The admin calls go through the node they concern
// when possible, so forwarding to the primary is exercised too.
func (m *nemesis) membership(ctx context.Context, hold time.Duration) {
	t, c := m.t, m.c
	p := m.victim()
	ns := m.shuffled(p)
	v := ns[1+m.rng.IntN(len(ns)-1)]
	out, demote := "", []string{"remove", v.id}
	promote := []string{"add", v.id}
	if c.mode == "raft" {
		demote, promote = []string{"assign", v.id, "spare"}, []string{"assign", v.id, "voter"}
	}
	try := func(args ...string) {
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			if out, err = ctl(t, v, args...); err == nil {
				t.Logf("fault: sqlclusterctl %s: ok", strings.Join(args, " "))
				return
			}
			// A leader change under load may refuse the call; the
			// operator's answer is to run it again.
			t.Logf("fault: sqlclusterctl %s: %v: %s (retrying)", strings.Join(args, " "), err, strings.TrimSpace(out))
			sleepCtx(context.Background(), time.Second)
		}
		t.Errorf("sqlclusterctl %s failed 5 times: %v: %s", strings.Join(args, " "), err, out)
	}
	try(demote...)
	sleepCtx(ctx, hold/2)
	try(promote...)
	sleepCtx(ctx, hold/2)
	// The new primary: another node that can lead. In raft mode a
	// five-node cluster has stand-bys, which cannot, and the server says
	// so; the operator then picks a voter.
	moved := false
	for attempt := 0; attempt < 2*len(ns) && !moved; attempt++ {
		target := ns[1+attempt%(len(ns)-1)]
		out, err := ctl(t, v, "transfer", target.id)
		switch {
		case err == nil:
			t.Logf("fault: sqlclusterctl transfer %s: ok", target.id)
			moved = true
		case strings.Contains(out, "only a voter can lead"):
			t.Logf("fault: sqlclusterctl transfer %s: not a voter, trying another node", target.id)
		default:
			t.Logf("fault: sqlclusterctl transfer %s: %v: %s (retrying)", target.id, err, strings.TrimSpace(out))
			sleepCtx(context.Background(), time.Second)
		}
	}
	if !moved {
		t.Errorf("no node took the primary role with sqlclusterctl transfer")
	}
	if mem, err := ctl(t, p, "members"); err == nil {
		t.Logf("members after the change:\n%s", mem)
	}
}

// jepsenCellName names a cell in test names and the summary.
func jepsenCellName(mode string, nodes int, fault, workload string) string {
	return fmt.Sprintf("%s/%dn/%s/%s", mode, nodes, fault, workload)
}
