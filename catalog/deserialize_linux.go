//go:build linux

package catalog

import (
	"fmt"
	"reflect"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// connHandle returns the sqlite3* of a modernc connection. The handle is an
// unexported field; reflect reads it without unsafe, and any change of the
// driver's layout makes this report false (and Attach take the slow path).
func connHandle(conn any) (uintptr, bool) {
	v := reflect.ValueOf(conn)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0, false
	}
	if v.Type().String() != "*sqlite.conn" {
		return 0, false
	}
	f := v.Elem().FieldByName("db")
	if !f.IsValid() || f.Kind() != reflect.Uintptr || f.Uint() == 0 {
		return 0, false
	}
	return uintptr(f.Uint()), true
}

// deserialize replaces the attached schema's content with data.
func deserialize(db uintptr, schema string, data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("catalog: empty template for %s", schema)
	}
	tls := libc.NewTLS()
	defer tls.Close()
	zSchema, err := libc.CString(schema)
	if err != nil {
		return err
	}
	defer libc.Xfree(tls, zSchema)
	// SQLite must own the buffer (sqlite3_malloc64). Go memory cannot be
	// handed to libc's memcpy (checkptr rightly objects), so the bytes go
	// through libc.CString — which copies by length, NULs included — first.
	n := len(data)
	src, err := libc.CString(string(data))
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	defer libc.Xfree(tls, src)
	p := sqlite3.Xsqlite3_malloc64(tls, uint64(n))
	if p == 0 {
		return fmt.Errorf("catalog: cannot allocate %d bytes", n)
	}
	libc.Xmemcpy(tls, p, src, libc.Tsize_t(n))
	// FREEONCLOSE hands the buffer to SQLite (freed on failure too);
	// RESIZEABLE lets Refresh grow the database.
	rc := sqlite3.Xsqlite3_deserialize(tls, db, zSchema, p, int64(n), int64(n),
		sqlite3.SQLITE_DESERIALIZE_FREEONCLOSE|sqlite3.SQLITE_DESERIALIZE_RESIZEABLE)
	if rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("catalog: deserialize %s: %s", schema, libc.GoString(sqlite3.Xsqlite3_errstr(tls, rc)))
	}
	return nil
}
