// Package pgsql understands just enough of the PostgreSQL SQL dialect for a
// wire-compatible server that executes on SQLite.
//
// Lexing (lexer.go) is a port of PostgreSQL 15's scan.l with
// standard_conforming_strings on. Lex never panics and is lossless: the Text
// of every token concatenated gives back the input byte for byte, which lets
// the translator rewrite a statement token by token while keeping comments,
// spacing and literal spelling intact. Literals are decoded into Token.Str
// so callers never re-implement quoting rules.
//
// Errors are *Error values carrying the SQLSTATE PostgreSQL itself would
// report and, where it would, a 1-based character position, so the wire
// layer can forward them unchanged and psql draws its caret in the right
// place.
package pgsql
