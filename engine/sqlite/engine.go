package sqlite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"

	"modernc.org/sqlite"

	"github.com/sqlcluster/sqlcluster/catalog"
	"github.com/sqlcluster/sqlcluster/engine"
	"github.com/sqlcluster/sqlcluster/walstream"
)

// DefaultDatabase always exists; it is created on first start.
const DefaultDatabase = "postgres"

const dbSuffix = ".sqlite"

// Config configures an Engine.
type Config struct {
	DataDir string
	// Readers is the number of read-only connections per database.
	Readers int
	Logger  *slog.Logger
	// Replication, when set, takes part in every commit (stream mode);
	// see replication.go.
	Replication Replication
	// ReadBarrier, when set, holds back reads that would return data not
	// yet safe to show (read.go).
	ReadBarrier ReadBarrier
}

// Engine is the embedded SQLite implementation of engine.Engine. Each
// database is a file under DataDir/db; DataDir is locked exclusively for the
// engine's lifetime so two servers can never write the same files.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	driver *sqlite.Driver
	lock   *os.File
	stats  counters

	mu     sync.Mutex
	dbs    map[string]*database
	closed bool
}

var _ engine.Engine = (*Engine)(nil)

// Open locks the data directory, opens every database in it and creates the
// default database when missing.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Readers <= 0 {
		cfg.Readers = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Join(cfg.DataDir, "db")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	lock, err := lockDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	d := &sqlite.Driver{}
	if err := catalog.Register(d); err != nil {
		lock.Close()
		return nil, fmt.Errorf("registering SQL functions: %w", err)
	}
	e := &Engine{cfg: cfg, log: cfg.Logger, driver: d, lock: lock, dbs: map[string]*database{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("listing databases: %w", err)
	}
	for _, ent := range entries {
		name, ok := strings.CutSuffix(ent.Name(), dbSuffix)
		if !ok || ent.IsDir() {
			continue
		}
		if err := e.openDB(ctx, name); err != nil {
			e.Close()
			return nil, err
		}
	}
	if _, ok := e.dbs[DefaultDatabase]; !ok {
		if err := e.openDB(ctx, DefaultDatabase); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// lockDir takes an exclusive, non-blocking flock on DataDir/LOCK. The kernel
// drops it when the process dies, so a crashed server never leaves a stale
// lock behind.
func lockDir(dir string) (*os.File, error) {
	path := filepath.Join(dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another sqlclusterd (pid %s): %w", dir, strings.TrimSpace(string(owner)), err)
	}
	f.Truncate(0)
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return f, nil
}

func (e *Engine) path(name string) string {
	return filepath.Join(e.cfg.DataDir, "db", name+dbSuffix)
}

func (e *Engine) openDB(ctx context.Context, name string) error {
	db, err := openDatabase(ctx, e.driver, name, e.path(name), e.cfg.Readers, &e.stats, e.cfg.Replication)
	if err != nil {
		return fmt.Errorf("opening database %q: %w", name, err)
	}
	e.dbs[name] = db
	return nil
}

// Open starts a session on database name.
func (e *Engine) Open(ctx context.Context, name string, info engine.SessionInfo) (engine.Session, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, engine.ErrClosed
	}
	db, ok := e.dbs[name]
	if !ok {
		return nil, engine.Errorf("3D000", "database %q does not exist", name)
	}
	db.users.Add(1)
	return &session{eng: e, db: db, info: info}, nil
}

// Databases lists database names in order.
func (e *Engine) Databases(ctx context.Context) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.databasesLocked(), nil
}

func (e *Engine) databasesLocked() []string {
	names := make([]string, 0, len(e.dbs))
	for n := range e.dbs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// databaseNameRE keeps database names safe to use as file names.
var databaseNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$-]{0,62}$`)

// CreateDatabase creates an empty database file.
func (e *Engine) CreateDatabase(ctx context.Context, name string) error {
	if !databaseNameRE.MatchString(name) {
		return engine.Errorf("42602", "invalid database name %q: use letters, digits, _, $ and - (at most 63 characters, not starting with a digit)", name)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return engine.ErrClosed
	}
	if _, ok := e.dbs[name]; ok {
		return engine.Errorf("42P04", "database %q already exists", name)
	}
	if e.cfg.Replication != nil {
		wait, err := e.cfg.Replication.Schema(ctx, walstream.KindCreate, name, func() error { return e.openDB(ctx, name) })
		if err != nil {
			return err
		}
		e.mu.Unlock()
		err = wait(ctx)
		e.mu.Lock()
		return err
	}
	return e.openDB(ctx, name)
}

// DropDatabase closes and deletes a database that no session uses.
func (e *Engine) DropDatabase(ctx context.Context, name string, ifExists bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	db, ok := e.dbs[name]
	if !ok {
		if ifExists {
			return nil
		}
		return engine.Errorf("3D000", "database %q does not exist", name)
	}
	if name == DefaultDatabase {
		return engine.Errorf("55006", "cannot drop the default database %q", name)
	}
	if n := db.users.Load(); n > 0 {
		return &engine.Error{Code: "55006", Message: fmt.Sprintf("database %q is being accessed by other users", name),
			Detail: fmt.Sprintf("There are %d other sessions using the database.", n)}
	}
	if e.cfg.Replication != nil {
		wait, err := e.cfg.Replication.Schema(ctx, walstream.KindDrop, name, func() error { return e.dropLocked(name) })
		if err != nil {
			return err
		}
		e.mu.Unlock()
		err = wait(ctx)
		e.mu.Lock()
		return err
	}
	return e.dropLocked(name)
}

// dropLocked closes and deletes database name; e.mu is held.
func (e *Engine) dropLocked(name string) error {
	db, ok := e.dbs[name]
	if !ok {
		return nil
	}
	delete(e.dbs, name)
	err := db.close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if rmErr := os.Remove(db.path + suffix); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) && err == nil {
			err = rmErr
		}
	}
	if err != nil {
		return fmt.Errorf("dropping database %q: %w", name, err)
	}
	return nil
}

// Stats returns engine counters.
func (e *Engine) Stats() engine.Stats {
	return engine.Stats{
		Commits:      e.stats.commits.Load(),
		Fsyncs:       e.stats.fsyncs.Load(),
		GroupedStmts: e.stats.grouped.Load(),
	}
}

// Close checkpoints and closes all databases and releases the data
// directory lock.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var first error
	for name, db := range e.dbs {
		if err := db.close(); err != nil && first == nil {
			first = err
		}
		delete(e.dbs, name)
	}
	if e.lock != nil {
		e.lock.Close()
	}
	return first
}

// catalogInfo is what the catalog needs to describe the session's world.
func (e *Engine) catalogInfo(s *session) catalog.Info {
	return catalog.Info{
		Databases: func() []string { dbs, _ := e.Databases(context.Background()); return dbs }(),
		Database:  s.db.name,
		User:      s.info.User,
		Settings:  s.info.Settings,
	}
}
