// Package pgtypes gives SQLite values PostgreSQL types: it maps declared
// column types to PostgreSQL type OIDs and modifiers, renders stored values
// in PostgreSQL's text and binary wire formats, and turns Bind parameters
// into values to store.
//
// # Types
//
// A Type is what the server reports in RowDescription and
// ParameterDescription: OID, pg_type name, typlen and typmod. FromDecl maps
// the declared type SQLite keeps verbatim from CREATE TABLE ("varchar(20)",
// "numeric(10,2)", "timestamptz", "int4[]", or SQLite spellings such as
// "INTEGER" and "DATETIME") to the Type PostgreSQL would give that column;
// an empty or unknown declaration is text. ByName and ByOID look types up
// in a copy of PostgreSQL 15's pg_type (typetable.go). InferFromValue picks
// a type for expression columns from the first value.
//
// # Storage conventions
//
// SQLite has five storage classes; each PostgreSQL type is stored in one of
// them, in a form chosen so that SQLite's own operators, date functions and
// ORDER BY behave sensibly on it:
//
//	smallint, integer, bigint, oid     INTEGER (int64)
//	real, double precision             REAL (float64); NaN, which SQLite
//	                                   cannot store, as the text 'NaN'
//	numeric                            INTEGER when integral and in range,
//	                                   else the exact text ('12.50'); output
//	                                   renders exactly what is stored, with
//	                                   the column's numeric(p,s) applied
//	boolean                            INTEGER 0/1
//	bytea                              BLOB
//	text, varchar, char, name, json    TEXT, verbatim
//	jsonb                              TEXT, normalised as jsonb_out prints it
//	uuid                               TEXT, canonical lower-case 8-4-4-4-12
//	date                               TEXT 'YYYY-MM-DD'
//	time                               TEXT 'HH:MM:SS[.ffffff]'
//	timestamp                          TEXT 'YYYY-MM-DD HH:MM:SS[.ffffff]'
//	timestamptz                        TEXT in UTC 'YYYY-MM-DD HH:MM:SS[.ffffff]+00:00'
//	interval                           TEXT, PostgreSQL's output ('1 day 02:00:00')
//	arrays                             TEXT, a JSON array ('[1,2,null]')
//
// Years before 1 AD carry a ' BC' suffix and infinite dates and timestamps
// are the text 'infinity'/'-infinity', as PostgreSQL prints them.
//
// Decode produces exactly these forms. Encode accepts them and also any
// other shape a value may have reached storage in without going through
// Decode: timestamps written as literals ('2024-01-01T10:00:00Z',
// '2024-01-01 12:00:00+02', zone-less text, which is UTC), Unix seconds in
// a timestamp column, time.Time from the driver, digits stored as text in
// an integer column, 't'/'yes'/'off' in a boolean column, PostgreSQL array
// literals in an array column. A value that cannot be read as the column's
// type is an *Error with the SQLSTATE PostgreSQL would use (22P02, 22007,
// 22008, 22003), never a wrong rendering or a panic.
//
// # Wire formats
//
// Text output matches PostgreSQL 15 byte for byte (DateStyle ISO,
// IntervalStyle postgres, extra_float_digits 1): 't'/'f', '\x0a0b', shortest
// round-trip floats ('0.1', '1e+100'), timestamptz in the session TimeZone
// with its offset ('2024-01-02 03:04:05.123456+05:30'). Binary encodings are
// done by github.com/jackc/pgx/v5/pgtype: this package only converts stored
// values to the Go values pgtype's codecs take and back. The oracle tests
// compare both formats against a running PostgreSQL 15.
//
// # Sessions
//
// A Codec belongs to one connection: it holds the session TimeZone and a
// pgtype.Map, plus scratch values handed to pgtype by pointer so that
// encoding a row allocates nothing for the common types. It is not safe for
// concurrent use. All package-level tables are immutable.
package pgtypes
