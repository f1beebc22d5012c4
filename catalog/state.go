package catalog

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// registry is the per-driver home of per-connection state. Register creates
// one and every function it installs closes over it; a connection's entry is
// keyed by its sqlite3* handle (see funcctx.go). Attach and Refresh cannot
// reach the registry directly — they only have the connection — so they hand
// state to it through SQL calls of the internal functions below, which is
// also why the state is a serialisable snapshot rather than Go pointers.
type registry struct {
	started time.Time
	regexes *regexCache

	tmplOnce sync.Once
	tmpl     map[string][]byte // serialized catalog schemas (template.go)
	tmplErr  error

	// fallback serves pg_cast on connections that were never attached.
	fallbackMu sync.Mutex
	fallback   *pgtypes.Codec

	mu    sync.RWMutex
	conns map[uintptr]*connState
}

// connState is what SQL functions know about one connection.
type connState struct {
	snap   atomic.Pointer[snapshot]
	txTime atomic.Int64 // unix nanoseconds set by SetTransactionTime; 0 = none

	mu        sync.Mutex
	overrides map[string]string // set_config values, lower-case names
	codec     *pgtypes.Codec    // input conversions for pg_cast
	codecTZ   string            // TimeZone applied to codec
}

// snapshot is the session and schema information SQL functions need: who
// and where the session is, its settings, and the definitions behind
// pg_get_indexdef/pg_get_constraintdef/pg_get_viewdef for this database.
type snapshot struct {
	User      string               `json:"user"`
	Database  string               `json:"db"`
	Settings  map[string]string    `json:"settings"` // lower-case name → value
	Rels      map[uint32]snapRel   `json:"rels"`     // user relations and indexes
	Indexes   map[uint32]snapIndex `json:"indexes"`
	Cons      map[uint32]snapCon   `json:"cons"`
	Views     map[uint32]string    `json:"views"`
	Triggers  map[uint32]string    `json:"triggers"`
	Databases []string             `json:"dbs"`

	byName map[string]uint32 // built on load: relation name → OID
}

type snapRel struct {
	Name string `json:"n"`
	Kind string `json:"k"`
}

type snapIndex struct {
	Name   string   `json:"n"`
	Table  string   `json:"t"`
	Unique bool     `json:"u"`
	Cols   []string `json:"c"` // quoted column names or expressions
	Exprs  []bool   `json:"e"` // whether Cols[i] is an expression
	Desc   []bool   `json:"d"`
	Where  string   `json:"w"`
}

type snapCon struct {
	Kind     string   `json:"k"`
	Cols     []string `json:"c"`
	Expr     string   `json:"x"`
	RefTable string   `json:"rt"`
	RefCols  []string `json:"rc"`
	OnUpdate string   `json:"ou"`
	OnDelete string   `json:"od"`
	Deferred bool     `json:"df"`
}

func newRegistry() *registry {
	return &registry{
		started: time.Now(),
		regexes: newRegexCache(256),
		conns:   map[uintptr]*connState{},
	}
}

// state returns the calling connection's state, or nil when the connection
// was never attached (functions then answer with defaults).
func (r *registry) state(fc *sqlite.FunctionContext) *connState {
	db := dbHandle(fc)
	if db == 0 {
		return nil
	}
	r.mu.RLock()
	s := r.conns[db]
	r.mu.RUnlock()
	return s
}

// snap returns the calling connection's snapshot; never nil.
func (r *registry) snap(fc *sqlite.FunctionContext) *snapshot {
	if s := r.state(fc); s != nil {
		if p := s.snap.Load(); p != nil {
			return p
		}
	}
	return emptySnapshot
}

var emptySnapshot = &snapshot{User: "postgres", Database: "postgres", byName: map[string]uint32{}}

// Internal functions through which Attach, Refresh and Close reach the
// registry. Their names are unlikely to clash with anything a client calls.
const (
	fnLoad    = "sqlcluster_catalog_load"
	fnUnload  = "sqlcluster_catalog_unload"
	fnSetTime = "sqlcluster_catalog_settime"
)

// load installs a snapshot (JSON) for the calling connection.
func (r *registry) load(fc *sqlite.FunctionContext, data string) error {
	db := dbHandle(fc)
	if db == 0 {
		return fmt.Errorf("catalog: no connection handle")
	}
	var s snapshot
	if err := json.Unmarshal([]byte(data), &s); err != nil {
		return fmt.Errorf("catalog: bad snapshot: %w", err)
	}
	s.byName = make(map[string]uint32, len(s.Rels))
	for oid, rel := range s.Rels {
		s.byName[rel.Name] = oid
	}
	r.mu.Lock()
	st := r.conns[db]
	if st == nil {
		st = &connState{}
		r.conns[db] = st
	}
	r.mu.Unlock()
	st.snap.Store(&s)
	return nil
}

func (r *registry) unload(fc *sqlite.FunctionContext) {
	if db := dbHandle(fc); db != 0 {
		r.mu.Lock()
		delete(r.conns, db)
		r.mu.Unlock()
	}
}

// setting resolves a configuration parameter for current_setting.
func (r *registry) setting(fc *sqlite.FunctionContext, name string) (string, bool) {
	key := strings.ToLower(name)
	if st := r.state(fc); st != nil {
		st.mu.Lock()
		v, ok := st.overrides[key]
		st.mu.Unlock()
		if ok {
			return v, true
		}
	}
	s := r.snap(fc)
	if v, ok := s.Settings[key]; ok {
		return v, true
	}
	if d, ok := settingDefaults[key]; ok {
		return d.value, true
	}
	return "", false
}

// relName resolves a relation OID to its name (user objects from the
// snapshot, catalog relations from the static table).
func (s *snapshot) relName(oid uint32) (string, bool) {
	if r, ok := s.Rels[oid]; ok {
		return r.Name, true
	}
	if r, ok := catalogRelByOID[oid]; ok {
		if r.schema != "pg_catalog" {
			return r.schema + "." + r.name, true
		}
		return r.name, true
	}
	return "", false
}

// relOIDByName resolves a (possibly schema-qualified) relation name.
func (s *snapshot) relOIDByName(schema, name string) (uint32, bool) {
	if schema == "" || schema == "public" {
		if oid, ok := s.byName[name]; ok {
			return oid, true
		}
	}
	if schema == "" || schema == "pg_catalog" || schema == "information_schema" {
		for _, sch := range []string{"pg_catalog", "information_schema"} {
			if schema != "" && schema != sch {
				continue
			}
			if r, ok := catalogRelByName[sch+"."+name]; ok {
				if schema == "" && sch == "information_schema" {
					continue // not on the search path
				}
				return r.oid, true
			}
		}
	}
	return 0, false
}

// codec runs fn with the calling connection's pgtypes codec, set to the
// session's TimeZone. A Codec is not safe for concurrent use; a
// connection's functions run one at a time, and the mutex covers the
// fallback shared by unattached connections.
func (r *registry) codec(fc *sqlite.FunctionContext, fn func(*pgtypes.Codec) (any, error)) (any, error) {
	st := r.state(fc)
	if st == nil {
		r.fallbackMu.Lock()
		defer r.fallbackMu.Unlock()
		if r.fallback == nil {
			r.fallback = pgtypes.NewCodec()
		}
		return fn(r.fallback)
	}
	tz := "UTC"
	if s := st.snap.Load(); s != nil {
		if v, ok := s.Settings["timezone"]; ok && v != "" {
			tz = v
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.codec == nil {
		st.codec = pgtypes.NewCodec()
		st.codecTZ = "UTC"
	}
	if st.codecTZ != tz {
		if err := st.codec.SetTimeZone(tz); err == nil {
			st.codecTZ = tz
		}
	}
	return fn(st.codec)
}
