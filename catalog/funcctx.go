package catalog

import (
	"fmt"
	"reflect"
	"unsafe"

	"modernc.org/libc"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Functions registered on a *sqlite.Driver are shared by every connection
// the driver opens, but several PostgreSQL functions answer per session
// (current_setting, now, pg_get_indexdef of this database's objects). The
// only thing a call knows about its connection is the sqlite3_context the
// driver wraps in *sqlite.FunctionContext, whose fields are unexported. We
// read them through a mirror struct to obtain the sqlite3* handle and key
// per-connection state by it. checkFunctionContextLayout verifies at Register
// time that the mirror still matches the driver's struct, so a driver upgrade
// that changes it fails loudly instead of reading garbage.

// functionContextMirror must have the same layout as sqlite.FunctionContext.
type functionContextMirror struct {
	tls *libc.TLS
	ctx uintptr
}

func checkFunctionContextLayout() error {
	t := reflect.TypeOf(sqlite.FunctionContext{})
	m := reflect.TypeOf(functionContextMirror{})
	if t.Size() != m.Size() || t.NumField() != m.NumField() {
		return fmt.Errorf("catalog: sqlite.FunctionContext layout changed (size %d, %d fields)", t.Size(), t.NumField())
	}
	for i := 0; i < t.NumField(); i++ {
		tf, mf := t.Field(i), m.Field(i)
		if tf.Name != mf.Name || tf.Type != mf.Type || tf.Offset != mf.Offset {
			return fmt.Errorf("catalog: sqlite.FunctionContext field %d is %s %s, want %s %s", i, tf.Name, tf.Type, mf.Name, mf.Type)
		}
	}
	return nil
}

// dbHandle returns the sqlite3* of the connection running the call, or 0.
func dbHandle(fc *sqlite.FunctionContext) uintptr {
	if fc == nil {
		return 0
	}
	m := (*functionContextMirror)(unsafe.Pointer(fc))
	if m.tls == nil || m.ctx == 0 {
		return 0
	}
	return sqlite3.Xsqlite3_context_db_handle(m.tls, m.ctx)
}

// inTransaction reports whether the calling connection has an explicit
// transaction open (sqlite3_get_autocommit returns 0).
func inTransaction(fc *sqlite.FunctionContext) bool {
	if fc == nil {
		return false
	}
	m := (*functionContextMirror)(unsafe.Pointer(fc))
	if m.tls == nil || m.ctx == 0 {
		return false
	}
	db := sqlite3.Xsqlite3_context_db_handle(m.tls, m.ctx)
	return db != 0 && sqlite3.Xsqlite3_get_autocommit(m.tls, db) == 0
}
