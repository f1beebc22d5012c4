package catalog

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"

	"modernc.org/sqlite"
)

// Creating ~90 catalog tables and writing ~1,700 static rows costs tens of
// milliseconds per connection. Instead, each catalog schema is built once
// per driver in a private in-memory database, serialized, and copied into
// every new connection's attached database with sqlite3_deserialize, which
// is a memcpy. The template reaches Attach through an internal SQL function
// because Attach has only the connection, not the driver's registry.

const fnTemplate = "sqlcluster_catalog_template"

// errNoFastPath means the connection cannot be filled from a template.
var errNoFastPath = errors.New("catalog: connection does not support deserialize")

// template returns the serialized image of one catalog schema.
func (r *registry) template(schema string) ([]byte, error) {
	r.tmplOnce.Do(func() {
		r.tmpl, r.tmplErr = buildTemplates()
	})
	if r.tmplErr != nil {
		return nil, r.tmplErr
	}
	data, ok := r.tmpl[schema]
	if !ok {
		return nil, fmt.Errorf("catalog: no template for schema %q", schema)
	}
	return data, nil
}

func buildTemplates() (map[string][]byte, error) {
	ctx := context.Background()
	out := map[string][]byte{}
	d := &sqlite.Driver{}
	for _, schema := range catalogSchemas {
		conn, err := d.Open(":memory:")
		if err != nil {
			return nil, fmt.Errorf("catalog: template: %w", err)
		}
		data, err := buildTemplate(ctx, conn, schema)
		conn.Close()
		if err != nil {
			return nil, fmt.Errorf("catalog: template %s: %w", schema, err)
		}
		out[schema] = data
	}
	return out, nil
}

func buildTemplate(ctx context.Context, conn driver.Conn, schema string) ([]byte, error) {
	q, ok := conn.(querier)
	if !ok {
		return nil, errors.New("connection cannot execute")
	}
	ser, ok := conn.(interface{ Serialize() ([]byte, error) })
	if !ok {
		return nil, errors.New("connection cannot serialize")
	}
	if _, err := q.ExecContext(ctx, "BEGIN", nil); err != nil {
		return nil, err
	}
	if _, err := q.ExecContext(ctx, schemaDDL(schema, "main"), nil); err != nil {
		return nil, err
	}
	if err := insertStatic(ctx, q, schema, "main"); err != nil {
		return nil, err
	}
	if _, err := q.ExecContext(ctx, "COMMIT", nil); err != nil {
		return nil, err
	}
	return ser.Serialize()
}

func fnTemplateImpl(c *call) (driver.Value, error) {
	schema, _ := argText(c.args[0])
	return c.r.template(schema)
}

// fillFromTemplates copies the catalog templates into the attached schemas.
func (c *Conn) fillFromTemplates(ctx context.Context, conn driver.Conn) error {
	db, ok := connHandle(conn)
	if !ok {
		return errNoFastPath
	}
	for _, schema := range catalogSchemas {
		var data []byte
		err := queryRows(ctx, c.conn, "SELECT "+fnTemplate+"(?1)", []driver.NamedValue{{Ordinal: 1, Value: schema}},
			func(v []driver.Value) error {
				b, ok := v[0].([]byte)
				if !ok {
					return fmt.Errorf("catalog: template is %T", v[0])
				}
				data = append([]byte(nil), b...)
				return nil
			})
		if err != nil {
			return fmt.Errorf("catalog: attach (was catalog.Register called on this driver?): %w", err)
		}
		if err := deserialize(db, schema, data); err != nil {
			return err
		}
	}
	return nil
}
