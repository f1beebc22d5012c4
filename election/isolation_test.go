package election

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/memberlist"
)

// TestIsolation: nodes with another secret or another cluster id never
// become members, while a correctly configured node joins the same seed.
func TestIsolation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		secret, other []byte
		otherCluster  string
	}{
		{name: "wrong secret", secret: []byte("s3cret"), other: []byte("guess"), otherCluster: "test-cluster"},
		{name: "no secret against secret", secret: []byte("s3cret"), other: nil, otherCluster: "test-cluster"},
		{name: "same secret other cluster", secret: []byte("s3cret"), other: []byte("s3cret"), otherCluster: "another"},
		{name: "plaintext other cluster", otherCluster: "another"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := newTestCluster(t, 0)
			a := c.start("a", func(cfg *Config) { cfg.Secret = tc.secret })
			intruder := c.start("intruder", func(cfg *Config) {
				cfg.Secret, cfg.ClusterID, cfg.Join = tc.other, tc.otherCluster, []string{a.gossip}
			})
			good := c.start("good", func(cfg *Config) { cfg.Secret, cfg.Join = tc.secret, []string{a.gossip} })
			waitFor(t, 10*time.Second, func() bool { return slices.Equal(aliveIDs(a.e), []string{"a", "good"}) },
				func() string { return fmt.Sprintf("a to see good: %v", aliveIDs(a.e)) })
			time.Sleep(time.Second) // let gossip spread whatever it would
			for _, n := range []*tnode{a, good} {
				if ids := aliveIDs(n.e); !slices.Equal(ids, []string{"a", "good"}) {
					t.Errorf("%s sees %v", n.id, ids)
				}
			}
			if ids := aliveIDs(intruder.e); !slices.Equal(ids, []string{"intruder"}) {
				t.Errorf("intruder sees %v", ids)
			}
		})
	}
}

// TestDelegateRejectsForeignMetadata covers the check behind the label and
// the key: even a node that got through them is no member without this
// cluster's tag and a consistent id.
func TestDelegateRejectsForeignMetadata(t *testing.T) {
	e := &Election{tag: tagOf("mine"), cfg: Config{NodeID: "self"}}
	d := &delegate{e: e}
	good := (&nodeMeta{Tag: tagOf("mine"), ID: "n1"}).encode()
	foreign := (&nodeMeta{Tag: tagOf("theirs"), ID: "n2"}).encode()
	if err := d.NotifyAlive(&memberlist.Node{Name: "n1", Meta: good}); err != nil {
		t.Errorf("own cluster rejected: %v", err)
	}
	for _, n := range []*memberlist.Node{
		{Name: "n2", Meta: foreign},
		{Name: "n3", Meta: nil},
		{Name: "n4", Meta: []byte("hello")},
		{Name: "liar", Meta: good},
	} {
		if err := d.NotifyAlive(n); err == nil {
			t.Errorf("node %s with metadata %q accepted", n.Name, n.Meta)
		}
	}
	if err := d.NotifyMerge([]*memberlist.Node{{Name: "n1", Meta: good}, {Name: "n2", Meta: foreign}}); err == nil ||
		!strings.Contains(err.Error(), "another cluster") {
		t.Errorf("merge with a foreign node: %v", err)
	}
}
