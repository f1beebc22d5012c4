package node

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sqlcluster/sqlcluster/admin"
	"github.com/sqlcluster/sqlcluster/election"
	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/engine/dqlite"
	"github.com/sqlcluster/sqlcluster/engine/sqlite"
	"github.com/sqlcluster/sqlcluster/peer"
	"github.com/sqlcluster/sqlcluster/pgsql"
	"github.com/sqlcluster/sqlcluster/snapshot"
	"github.com/sqlcluster/sqlcluster/walstream"

	"github.com/prometheus/client_golang/prometheus"
)

// RaftConfig holds the raft-mode settings beyond the cluster flags it
// shares with stream mode.
type RaftConfig struct {
	Voters, StandBys int
	FailureDomain    uint64
}

// raftCluster is the raft-mode part of a node: dqlite replicates every
// commit through Raft and routes every statement to the leader, so the
// node's work is finding the other nodes (gossip), bootstrapping exactly
// once, and answering the operator.
type raftCluster struct {
	n   *Node
	cfg StreamConfig
	eng *dqlite.Engine
	el  *election.Election
}

// dqliteAddress is the address dqlite listens on and advertises: dqlite
// resolves no names, so it is an IP (the advertise host resolved in Go).
func dqliteAddress(cfg StreamConfig) (string, error) {
	host, port, err := net.SplitHostPort(cfg.PeerAddr)
	if err != nil {
		return "", fmt.Errorf("invalid --peer-addr %q: %w", cfg.PeerAddr, err)
	}
	if adv := cfg.AdvertiseAddr; adv != "" {
		if h, _, err := net.SplitHostPort(adv); err == nil {
			adv = h
		}
		host = adv
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() || host == "" {
		return "", errors.New("raft mode needs --advertise-addr (the address other nodes reach this one at) when --peer-addr listens on all interfaces")
	}
	ips, err := net.DefaultResolver.LookupIPAddr(context.Background(), host)
	if err != nil || len(ips) == 0 {
		return "", fmt.Errorf("resolving %q for dqlite: %v", host, err)
	}
	return net.JoinHostPort(ips[0].IP.String(), port), nil
}

// startRaft joins the gossip, works out whether this node bootstraps the
// cluster or joins it, and opens the dqlite engine.
func startRaft(ctx context.Context, n *Node, cfg StreamConfig, rc RaftConfig) (*raftCluster, error) {
	addr, err := dqliteAddress(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.BootstrapExpect == 0 && len(cfg.Join) == 0 {
		cfg.BootstrapExpect = 1
	}
	r := &raftCluster{n: n, cfg: cfg}
	// Gossip only: with no voters and no bootstrap set the election
	// never claims anything; it carries addresses and liveness.
	r.el, err = election.Start(ctx, election.Config{
		NodeID: n.cfg.NodeID, BindAddr: cfg.GossipAddr, AdvertiseAddr: gossipAdvertise(cfg),
		PeerAddr: addr, PGAddr: advertisedAddr(n.cfg.PGAddr, cfg.AdvertiseAddr), AdminAddr: advertisedAddr(n.cfg.AdminAddr, cfg.AdvertiseAddr),
		Join: cfg.Join, ClusterID: cfg.ClusterID, Secret: cfg.Secret,
		StateDir: filepath.Join(n.cfg.DataDir, "gossip"),
		Position: func() walstream.Position { return walstream.Position{} },
		OnFence:  func(uint64) error { return nil },
		Vote:     noVotes{},
		Logger:   n.log,
	})
	if err != nil {
		return nil, fmt.Errorf("starting gossip: %w", err)
	}
	join, err := r.joinAddresses(ctx, addr)
	if err != nil {
		r.el.Shutdown()
		return nil, err
	}
	dcfg := dqlite.Config{DataDir: n.cfg.DataDir, Address: addr, Cluster: join, Peers: r.knownPeers(ctx),
		Voters: rc.Voters, StandBys: rc.StandBys, FailureDomain: rc.FailureDomain, Logger: n.log}
	if cfg.Secret != nil {
		tlsCfg, err := peer.TLSConfig(cfg.Secret, cfg.ClusterID)
		if err != nil {
			r.el.Shutdown()
			return nil, err
		}
		// go-dqlite's proxy takes a config with ClientCAs for the server
		// side and one without for the client side; the pool stays empty
		// because peer.TLSConfig verifies the derived key itself.
		server := tlsCfg.Clone()
		server.ClientCAs = x509.NewCertPool()
		dcfg.ServerTLS, dcfg.ClientTLS = server, tlsCfg
	}
	if r.eng, err = dqlite.Open(ctx, dcfg); err != nil {
		r.el.Shutdown()
		return nil, fmt.Errorf("starting dqlite: %w", err)
	}
	return r, nil
}

// joinAddresses decides how this node enters the cluster. A node whose
// data directory already holds a Raft state rejoins with it. A fresh node
// with --bootstrap-expect N waits until N fresh nodes are visible; the one
// with the lowest id bootstraps, the others join it. A fresh node without
// it joins whoever is visible.
func (r *raftCluster) joinAddresses(ctx context.Context, self string) ([]string, error) {
	if initialized(filepath.Join(r.n.cfg.DataDir, "dqlite")) {
		return nil, nil
	}
	want := r.cfg.BootstrapExpect
	deadline := time.Now().Add(5 * time.Minute)
	for {
		others := r.otherMembers()
		sort.Slice(others, func(i, j int) bool { return others[i].ID < others[j].ID })
		switch {
		case want > 0 && len(others)+1 >= want:
			lowest := r.n.cfg.NodeID
			if len(others) > 0 && others[0].ID < lowest {
				lowest = others[0].ID
			}
			if lowest == r.n.cfg.NodeID {
				r.n.log.Info("bootstrapping the raft cluster", "nodes", len(others)+1)
				return nil, nil
			}
			return memberAddrs(others), nil
		case want == 0 && len(others) > 0:
			return memberAddrs(others), nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no cluster to join after 5 minutes (visible nodes: %d, --bootstrap-expect %d)", len(others)+1, want)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// otherMembers are the live members gossip shows, other than this node,
// that have a dqlite address.
func (r *raftCluster) otherMembers() []election.Member {
	var others []election.Member
	for _, m := range r.el.Members() {
		if m.Alive && m.ID != r.n.cfg.NodeID && m.PeerAddr != "" {
			others = append(others, m)
		}
	}
	return others
}

// knownPeers returns the dqlite addresses of the other members gossip
// shows, for a restarting node to look for the leader through (see
// dqlite.Config.Peers); a new node has none to add. A restart with
// --join waits briefly for gossip to find someone; a node that finds
// nobody starts with what it stored.
func (r *raftCluster) knownPeers(ctx context.Context) []string {
	if !initialized(filepath.Join(r.n.cfg.DataDir, "dqlite")) {
		return nil
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		others := r.otherMembers()
		if len(others) > 0 || len(r.cfg.Join) == 0 || time.Now().After(deadline) {
			return memberAddrs(others)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func memberAddrs(ms []election.Member) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.PeerAddr)
	}
	return out
}

func initialized(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) > 0
}

// noVotes: raft mode's gossip never campaigns.
type noVotes struct{}

func (noVotes) RequestVote(context.Context, string, election.VoteRequest) (election.VoteResponse, error) {
	return election.VoteResponse{}, errors.New("raft mode has no gossip elections")
}

func (r *raftCluster) stop() {
	r.el.Leave(2 * time.Second)
	r.el.Shutdown()
}

// status is the raft part of /status.
func (r *raftCluster) status(ctx context.Context) (string, *admin.ClusterStatus) {
	st := &admin.ClusterStatus{Raft: map[string]any{"id": r.eng.ID(), "address": r.eng.Address(), "leader_changes": r.eng.LeaderChanges()}}
	role := "follower"
	if id, addr, err := r.eng.Leader(ctx); err == nil {
		st.Raft["leader_id"], st.Raft["leader_address"] = id, addr
		if m, ok := r.memberAt(addr); ok {
			st.Primary = m.ID
		}
		if id == r.eng.ID() {
			role = "leader"
		}
	} else {
		role = "no-leader"
	}
	if nodes, err := r.eng.Cluster(ctx); err == nil {
		var voters, standbys []string
		for _, nd := range nodes {
			switch nd.Role {
			case dqlite.Voter:
				voters = append(voters, nd.Address)
			case dqlite.StandBy:
				standbys = append(standbys, nd.Address)
			}
			if nd.ID == r.eng.ID() {
				st.Raft["role"] = nd.Role.String()
			}
		}
		st.Raft["voters"], st.Raft["standbys"] = voters, standbys
	}
	return role, st
}

func (r *raftCluster) memberAt(addr string) (election.Member, bool) {
	for _, m := range r.el.Members() {
		if m.PeerAddr == addr {
			return m, true
		}
	}
	return election.Member{}, false
}

// raftAdmin implements admin.Cluster for raft mode.
type raftAdmin struct{ r *raftCluster }

func (a raftAdmin) Members(ctx context.Context) ([]admin.Member, error) {
	nodes, err := a.r.eng.Cluster(ctx)
	if err != nil {
		return nil, err
	}
	leaderID, _, _ := a.r.eng.Leader(ctx)
	var out []admin.Member
	for _, nd := range nodes {
		m := admin.Member{ID: strconv.FormatUint(nd.ID, 10), PeerAddr: nd.Address, Role: nd.Role.String(),
			Voter: nd.Role == dqlite.Voter, Leader: nd.ID == leaderID}
		if g, ok := a.r.memberAt(nd.Address); ok {
			m.ID, m.PGAddr, m.AdminAddr, m.Alive = g.ID, g.PGAddr, g.AdminAddr, g.Alive
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (a raftAdmin) Leader(ctx context.Context) (admin.Member, bool, error) {
	_, addr, err := a.r.eng.Leader(ctx)
	if err != nil || addr == "" {
		return admin.Member{}, false, nil
	}
	m := admin.Member{ID: addr, PeerAddr: addr, Role: "leader", Leader: true, Voter: true, Alive: true}
	if g, ok := a.r.memberAt(addr); ok {
		m.ID, m.PGAddr, m.AdminAddr = g.ID, g.PGAddr, g.AdminAddr
	}
	return m, true, nil
}

// node finds a dqlite member by node id (gossip name), dqlite id or address.
func (a raftAdmin) node(ctx context.Context, id string) (dqlite.NodeInfo, error) {
	nodes, err := a.r.eng.Cluster(ctx)
	if err != nil {
		return dqlite.NodeInfo{}, err
	}
	addr := id
	for _, g := range a.r.el.Members() {
		if g.ID == id {
			addr = g.PeerAddr
		}
	}
	for _, nd := range nodes {
		if nd.Address == addr || strconv.FormatUint(nd.ID, 10) == id {
			return nd, nil
		}
	}
	return dqlite.NodeInfo{}, fmt.Errorf("%w: node %q is not in the raft cluster: start it with --mode raft --join <a member's gossip address>; it joins as a spare, then add or assign it", admin.ErrNotFound, id)
}

func parseRole(role string) (dqlite.Role, error) {
	switch role {
	case "", "voter":
		return dqlite.Voter, nil
	case "standby":
		return dqlite.StandBy, nil
	case "spare":
		return dqlite.Spare, nil
	}
	return 0, fmt.Errorf("%w: unknown role %q: use voter, standby or spare", admin.ErrBadRequest, role)
}

func (a raftAdmin) AddMember(ctx context.Context, id, address, role string) error {
	rl, err := parseRole(role)
	if err != nil {
		return err
	}
	if address != "" && id == "" {
		id = address
	}
	nd, err := a.node(ctx, id)
	if err != nil && address != "" {
		nd, err = a.node(ctx, address)
	}
	if err != nil {
		return err
	}
	if nd.Role == rl {
		return nil
	}
	return a.r.eng.Assign(ctx, nd.ID, rl)
}

func (a raftAdmin) RemoveMember(ctx context.Context, id string) error {
	nd, err := a.node(ctx, id)
	if err != nil {
		return err
	}
	if leader, _, err := a.r.eng.Leader(ctx); err == nil && leader == nd.ID {
		return fmt.Errorf("%w: node %s is the leader: transfer leadership first (sqlclusterctl transfer OTHER_ID)", admin.ErrConflict, id)
	}
	return a.r.eng.Remove(ctx, nd.ID)
}

func (a raftAdmin) AssignRole(ctx context.Context, id, role string) error {
	rl, err := parseRole(role)
	if err != nil {
		return err
	}
	nd, err := a.node(ctx, id)
	if err != nil {
		return err
	}
	return a.r.eng.Assign(ctx, nd.ID, rl)
}

func (a raftAdmin) Transfer(ctx context.Context, id string) error {
	nd, err := a.node(ctx, id)
	if err != nil {
		return err
	}
	if nd.Role != dqlite.Voter {
		return fmt.Errorf("%w: node %s is a %s: only a voter can lead; assign it the voter role first", admin.ErrConflict, id, nd.Role)
	}
	return a.r.eng.Transfer(ctx, nd.ID)
}

// Backup dumps every database from dqlite into a scratch directory and
// streams it in the snapshot format, through a throwaway single-mode
// engine over those files (which also recovers their WAL).
func (a raftAdmin) Backup(ctx context.Context, w io.Writer) error {
	dbs, err := a.r.eng.Databases(ctx)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(a.r.n.cfg.DataDir, "backup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.MkdirAll(filepath.Join(tmp, "db"), 0o700); err != nil {
		return err
	}
	for _, db := range dbs {
		files, err := a.r.eng.Dump(ctx, db)
		if err != nil {
			return fmt.Errorf("dumping %q: %w", db, err)
		}
		for _, f := range files {
			suffix := ""
			if len(f.Name) > 4 && f.Name[len(f.Name)-4:] == "-wal" {
				suffix = "-wal"
			}
			if err := os.WriteFile(filepath.Join(tmp, "db", db+".sqlite"+suffix), f.Data, 0o600); err != nil {
				return err
			}
		}
	}
	eng, err := sqlite.Open(ctx, sqlite.Config{DataDir: tmp})
	if err != nil {
		return fmt.Errorf("reading the dumped databases: %w", err)
	}
	defer eng.Close()
	src, err := eng.OpenSnapshot(ctx)
	if err != nil {
		return err
	}
	defer src.Close()
	h := snapshot.Header{Created: time.Now(), NodeID: a.r.n.cfg.NodeID, ClusterID: a.r.cfg.ClusterID, Databases: len(src.Databases())}
	return snapshot.Write(ctx, w, h, filterSource{src, dbs}, nil)
}

// filterSource keeps only the databases dqlite has (the scratch engine
// always creates its default one).
type filterSource struct {
	*sqlite.Snapshot
	keep []string
}

func (f filterSource) Databases() []snapshot.DBInfo {
	var out []snapshot.DBInfo
	for _, d := range f.Snapshot.Databases() {
		if slices.Contains(f.keep, d.Name) {
			out = append(out, d)
		}
	}
	return out
}

// Restore loads a backup into the raft cluster. dqlite 1.11 cannot load a
// database image, so the backup is installed into scratch SQLite files
// and replayed logically: for each database, the schema (tables, then
// indexes, views and triggers) and every row, in one transaction per
// database, through the leader like any other write.
func (a raftAdmin) Restore(ctx context.Context, r io.Reader, force bool) error {
	eng := a.r.eng
	if !force {
		tables, err := userTables(ctx, eng)
		if err != nil {
			return err
		}
		if len(tables) > 0 {
			return fmt.Errorf("%w: the cluster is not empty (it has %s): pass --force to replace everything", admin.ErrConflict, strings.Join(tables, ", "))
		}
	}
	tmp, err := os.MkdirTemp(a.r.n.cfg.DataDir, "restore-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	scratch, err := sqlite.Open(ctx, sqlite.Config{DataDir: tmp})
	if err != nil {
		return err
	}
	defer scratch.Close()
	h, err := snapshot.Read(ctx, r, scratch.Installer(), nil)
	if err != nil {
		return fmt.Errorf("%w: reading the backup: %w", admin.ErrBadRequest, err)
	}
	for _, info := range h.DBs {
		if info.Name == systemDB {
			continue
		}
		if err := replayDatabase(ctx, scratch, eng, info.Name); err != nil {
			return fmt.Errorf("restoring database %q: %w", info.Name, err)
		}
	}
	return nil
}

// userTables lists database.table names holding user data in eng.
func userTables(ctx context.Context, eng engine.Engine) ([]string, error) {
	dbs, err := eng.Databases(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, db := range dbs {
		rows, err := queryAll(ctx, eng, db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, fmt.Sprintf("%s.%v", db, r[0]))
		}
	}
	return out, nil
}

func queryAll(ctx context.Context, eng engine.Engine, db, q string) ([][]any, error) {
	s, err := eng.Open(ctx, db, engine.SessionInfo{User: "sqlcluster"})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	rows, err := s.Query(ctx, q, nil, engine.StmtOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for {
		row := make([]any, len(rows.Columns()))
		if err := rows.Next(row); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
}

// replayDatabase makes database db of dst hold exactly what src's has.
func replayDatabase(ctx context.Context, src *sqlite.Engine, dst engine.Engine, db string) error {
	if err := dst.CreateDatabase(ctx, db); err != nil {
		var ee *engine.Error
		if !errors.As(err, &ee) || ee.Code != "42P04" {
			return err
		}
	}
	schema, err := queryAll(ctx, src, db, "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, rowid")
	if err != nil {
		return err
	}
	old, err := queryAll(ctx, dst, db, "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'table', 'trigger') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")
	if err != nil {
		return err
	}
	s, err := dst.Open(ctx, db, engine.SessionInfo{User: "sqlcluster"})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Begin(ctx, engine.TxOptions{}); err != nil {
		return err
	}
	exec := func(q string, args ...any) error {
		rows, err := s.Query(ctx, q, args, engine.StmtOptions{})
		if err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
		return rows.Close()
	}
	fail := func(err error) error {
		s.Rollback(ctx)
		return err
	}
	if err := exec("PRAGMA foreign_keys = OFF"); err != nil {
		return fail(err)
	}
	for _, o := range old {
		if err := exec(fmt.Sprintf("DROP %s IF EXISTS %s", strings.ToUpper(fmt.Sprint(o[0])), pgsql.QuoteIdent(fmt.Sprint(o[1])))); err != nil {
			return fail(err)
		}
	}
	for _, o := range schema {
		if err := exec(fmt.Sprint(o[2])); err != nil {
			return fail(err)
		}
		if o[0] != "table" {
			continue
		}
		table := pgsql.QuoteIdent(fmt.Sprint(o[1]))
		rows, err := queryAll(ctx, src, db, "SELECT * FROM "+table)
		if err != nil {
			return fail(err)
		}
		for _, row := range rows {
			marks := strings.TrimSuffix(strings.Repeat("?,", len(row)), ",")
			if err := exec("INSERT INTO "+table+" VALUES ("+marks+")", row...); err != nil {
				return fail(err)
			}
		}
	}
	return s.Commit(ctx)
}

// startRaft is Start for --mode raft: the dqlite engine serves the pg front
// end directly (every statement goes to the Raft leader).
func (n *Node) startRaft(ctx context.Context, reg *prometheus.Registry, tlsCfg *tls.Config) (*Node, error) {
	cfg := n.cfg
	r, err := startRaft(ctx, n, cfg.Stream, cfg.Raft)
	if err != nil {
		return nil, err
	}
	n.raft, n.eng = r, r.eng
	reg.MustRegister(newEngineCollector(r.eng), newRaftCollector(r))
	closeAll := func() {
		r.eng.Close()
		r.stop()
	}
	if err := n.listen(reg, tlsCfg, raftAdmin{r}, nil, closeAll); err != nil {
		return nil, err
	}
	n.serve("dqlite", r.eng.Address(), "raft_id", r.eng.ID())
	return n, nil
}

// advertisedAddr replaces an unspecified bind host with the advertise host.
func advertisedAddr(addr, advertise string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
		return addr
	}
	if h, _, err := net.SplitHostPort(advertise); err == nil {
		advertise = h
	}
	if advertise == "" {
		advertise = "127.0.0.1"
	}
	return net.JoinHostPort(advertise, port)
}

// raftCollector exports the raft state on /metrics.
type raftCollector struct {
	r                                        *raftCluster
	isLeader, voters, standbys, changes, ups *prometheus.Desc
}

func newRaftCollector(r *raftCluster) *raftCollector {
	return &raftCollector{r: r,
		isLeader: prometheus.NewDesc("sqlcluster_raft_is_leader", "1 while this node is the Raft leader.", nil, nil),
		voters:   prometheus.NewDesc("sqlcluster_raft_voters", "Voting members of the Raft cluster.", nil, nil),
		standbys: prometheus.NewDesc("sqlcluster_raft_standbys", "Stand-by members of the Raft cluster.", nil, nil),
		changes:  prometheus.NewDesc("sqlcluster_raft_leader_changes_total", "Leader changes this node observed (each followed by a read barrier).", nil, nil),
		ups:      prometheus.NewDesc("sqlcluster_raft_leader_known", "1 when this node knows a leader.", nil, nil),
	}
}

func (rc *raftCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{rc.isLeader, rc.voters, rc.standbys, rc.changes, rc.ups} {
		ch <- d
	}
}

func (rc *raftCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	e := rc.r.eng
	leader, known := 0.0, 0.0
	if id, _, err := e.Leader(ctx); err == nil && id != 0 {
		known = 1
		if id == e.ID() {
			leader = 1
		}
	}
	ch <- prometheus.MustNewConstMetric(rc.isLeader, prometheus.GaugeValue, leader)
	ch <- prometheus.MustNewConstMetric(rc.ups, prometheus.GaugeValue, known)
	if nodes, err := e.Cluster(ctx); err == nil {
		var v, s float64
		for _, n := range nodes {
			switch n.Role {
			case dqlite.Voter:
				v++
			case dqlite.StandBy:
				s++
			}
		}
		ch <- prometheus.MustNewConstMetric(rc.voters, prometheus.GaugeValue, v)
		ch <- prometheus.MustNewConstMetric(rc.standbys, prometheus.GaugeValue, s)
	}
	ch <- prometheus.MustNewConstMetric(rc.changes, prometheus.CounterValue, float64(e.LeaderChanges()))
}
