package election

import (
	"slices"
	"sort"

	"github.com/sqlcluster/sqlcluster/walstream"
)

// voters returns the voting membership: Config.Voters when the replicated
// membership exists; otherwise the bootstrap set, which is formed once
// BootstrapExpect distinct live nodes, all still empty (zero Position), are
// visible, and then kept (persisted) until the membership replaces it:
// positions stop being empty as soon as the first primary writes, so it
// could not be formed again.
func (e *Election) voters(selfPos walstream.Position) []string {
	if e.cfg.Voters != nil {
		if v := e.cfg.Voters(); len(v) > 0 {
			return normalizeIDs(v)
		}
	}
	e.mu.Lock()
	latched := slices.Clone(e.st.Bootstrap)
	e.mu.Unlock()
	if len(latched) > 0 || e.cfg.BootstrapExpect <= 0 {
		return latched
	}
	ids := e.freshNodes(selfPos)
	if len(ids) < e.cfg.BootstrapExpect {
		return nil
	}
	// More empty nodes than expected: the lowest ids form the cluster,
	// which every node computes alike once it sees them all.
	ids = ids[:e.cfg.BootstrapExpect]

	e.voteMu.Lock()
	defer e.voteMu.Unlock()
	e.mu.Lock()
	if len(e.st.Bootstrap) > 0 || e.closed {
		v := slices.Clone(e.st.Bootstrap)
		e.mu.Unlock()
		return v
	}
	st := e.st.clone()
	e.mu.Unlock()
	st.Bootstrap = ids
	if err := writeState(e.cfg.StateDir, st); err != nil {
		e.log.Error("persisting the bootstrap voters failed", "err", err)
		return nil
	}
	e.mu.Lock()
	e.st = st
	e.mu.Unlock()
	e.log.Info("bootstrapping a new cluster", "voters", ids)
	e.kick()
	return slices.Clone(ids)
}

// freshNodes lists, sorted, the ids of this node and the live peers when
// every one of them has an empty Position (a cluster that has never
// written); nil as soon as any live node has data.
func (e *Election) freshNodes(selfPos walstream.Position) []string {
	if selfPos != (walstream.Position{}) {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := []string{e.cfg.NodeID}
	for id, p := range e.peers {
		if !p.alive || p.meta == nil {
			continue
		}
		if p.meta.Pos != (walstream.Position{}) {
			return nil
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func normalizeIDs(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return slices.Compact(out)
}
