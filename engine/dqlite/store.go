package dqlite

import (
	"context"
	"sync"
	"time"

	"github.com/canonical/go-dqlite/client"
)

// nodeStore is where the driver and the leader watch look for nodes to
// ask who leads: our own node first (it knows whenever it is a voter or a
// stand-by), then the members go-dqlite's app last wrote to its
// cluster.yaml (a spare node receives no heartbeats and knows no leader).
type nodeStore struct {
	self string
	path string // the app's cluster.yaml

	mu     sync.Mutex
	others []client.NodeInfo
	read   time.Time
}

// storeReread bounds how often cluster.yaml is read.
const storeReread = time.Second

func (s *nodeStore) Get(ctx context.Context) ([]client.NodeInfo, error) {
	nodes := []client.NodeInfo{{Address: s.self, Role: client.Voter}}
	return append(nodes, s.members()...), nil
}

// Set is not used: the app maintains cluster.yaml.
func (s *nodeStore) Set(context.Context, []client.NodeInfo) error { return nil }

// members returns the other known members.
func (s *nodeStore) members() []client.NodeInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.read) > storeReread {
		s.read = time.Now()
		if y, err := client.NewYamlNodeStore(s.path); err == nil {
			all, _ := y.Get(context.Background())
			others := make([]client.NodeInfo, 0, len(all))
			for _, n := range all {
				if n.Address != s.self {
					others = append(others, n)
				}
			}
			s.others = others
		}
	}
	return append([]client.NodeInfo(nil), s.others...)
}

// othersOnly is the store without our own node.
type othersOnly struct{ s *nodeStore }

func (o othersOnly) Get(context.Context) ([]client.NodeInfo, error) { return o.s.members(), nil }
func (o othersOnly) Set(context.Context, []client.NodeInfo) error   { return nil }
