package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

// systemDB is the replicated database holding cluster metadata. Clients
// cannot open it; it changes only through the primary's commit path, so
// every node learns membership changes in log order.
const systemDB = "_sqlcluster"

// membership reads and writes the voting membership in systemDB.
type membership struct {
	eng engine.Engine

	mu     sync.Mutex
	cached []string
	valid  time.Time
}

func newMembership(eng engine.Engine) *membership { return &membership{eng: eng} }

// membersTTL bounds how stale the cached voter list may be if an
// invalidation is missed; invalidate makes changes visible at once.
const membersTTL = 2 * time.Second

func (m *membership) invalidate() {
	m.mu.Lock()
	m.valid = time.Time{}
	m.mu.Unlock()
}

// voters returns the voting node ids (nil before the cluster bootstrapped).
func (m *membership) voters() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if time.Since(m.valid) < membersTTL {
		return m.cached
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ids, err := m.query(ctx)
	if err != nil {
		return m.cached
	}
	m.cached, m.valid = ids, time.Now()
	return ids
}

func (m *membership) query(ctx context.Context) ([]string, error) {
	s, err := m.eng.Open(ctx, systemDB, engine.SessionInfo{User: "sqlcluster", Internal: true})
	if err != nil {
		var ee *engine.Error
		if errors.As(err, &ee) && ee.Code == "3D000" {
			return nil, nil
		}
		return nil, err
	}
	defer s.Close()
	rows, err := s.Query(ctx, "SELECT node_id FROM members WHERE voter = 1 ORDER BY node_id", nil, engine.StmtOptions{ReadOnly: true})
	if err != nil {
		return nil, nil // table not created yet
	}
	defer rows.Close()
	var ids []string
	row := make([]any, 1)
	for {
		if err := rows.Next(row); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		if id, ok := row[0].(string); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// exec runs one write in systemDB through the normal commit path (so it
// is replicated like any other write).
func (m *membership) exec(ctx context.Context, query string, args ...any) (int64, error) {
	s, err := m.eng.Open(ctx, systemDB, engine.SessionInfo{User: "sqlcluster"})
	if err != nil {
		return 0, err
	}
	defer s.Close()
	rows, err := s.Query(ctx, query, args, engine.StmtOptions{})
	if err != nil {
		return 0, err
	}
	dest := make([]any, len(rows.Columns()))
	for rows.Next(dest) == nil {
	}
	n := rows.RowsAffected()
	rows.Close()
	m.invalidate()
	return n, nil
}

// initialize creates systemDB and records the bootstrap voters.
func (m *membership) initialize(ctx context.Context, voters []string) error {
	if len(voters) == 0 {
		return errors.New("no voters known yet")
	}
	if err := m.eng.CreateDatabase(ctx, systemDB); err != nil {
		var ee *engine.Error
		if !errors.As(err, &ee) || ee.Code != "42P04" {
			return fmt.Errorf("creating the system database: %w", err)
		}
	}
	if _, err := m.exec(ctx, "CREATE TABLE IF NOT EXISTS members (node_id TEXT PRIMARY KEY, voter INTEGER NOT NULL DEFAULT 1, added_at TEXT NOT NULL)"); err != nil {
		return fmt.Errorf("creating the members table: %w", err)
	}
	sort.Strings(voters)
	for _, id := range voters {
		if _, err := m.exec(ctx, "INSERT OR IGNORE INTO members (node_id, voter, added_at) VALUES (?1, 1, ?2)", id, time.Now().UTC().Format(time.RFC3339)); err != nil {
			return fmt.Errorf("recording member %s: %w", id, err)
		}
	}
	return nil
}

func (m *membership) add(ctx context.Context, id string) error {
	_, err := m.exec(ctx, "INSERT INTO members (node_id, voter, added_at) VALUES (?1, 1, ?2) ON CONFLICT (node_id) DO UPDATE SET voter = 1", id, time.Now().UTC().Format(time.RFC3339))
	return err
}

func (m *membership) remove(ctx context.Context, id string) (bool, error) {
	n, err := m.exec(ctx, "DELETE FROM members WHERE node_id = ?1", id)
	return n > 0, err
}
