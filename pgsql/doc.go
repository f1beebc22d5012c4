// Package pgsql understands just enough of the PostgreSQL SQL dialect for a
// wire-compatible server that executes on SQLite: it lexes, splits
// simple-Query strings into statements, classifies each statement, and
// parses the utility statements (transactions, SET/SHOW, cursors, COPY,
// PREPARE, ...) that the server implements itself instead of handing them
// to SQLite. Everything else is classified and left to the translator.
//
// Lexing (lexer.go) is a port of PostgreSQL 15's scan.l with
// standard_conforming_strings on. Lex never panics and is lossless: the Text
// of every token concatenated gives back the input byte for byte, which lets
// the translator rewrite a statement token by token while keeping comments,
// spacing and literal spelling intact. Literals are decoded into Token.Str
// (including E'...' escapes, U&'...' with UESCAPE, dollar quotes and the
// newline-separated string continuation) so callers never re-implement
// quoting rules. Keywords are not distinguished from identifiers; their
// lower-cased Str is compared instead.
//
// Split (split.go) cuts on top-level semicolons only: literals, quoted
// identifiers, comments and dollar quotes are single tokens, and the bodies
// of CREATE TRIGGER ... BEGIN ... END and CREATE FUNCTION ... BEGIN ATOMIC
// ... END are tracked the way psql does. Pieces with nothing but
// whitespace and comments are dropped, so an empty result means the server
// must answer EmptyQueryResponse.
//
// Parse (parse.go) is not a SQL grammar. It classifies a statement by its
// leading keywords and scans its tokens with parenthesis depth to decide
// the few properties a server needs for every statement: the command tag
// PostgreSQL 15 would send, whether it is read-only, whether it has a
// top-level RETURNING. Utility statements get a real recursive-descent
// parser whose error messages, SQLSTATEs and positions follow PostgreSQL's
// (checked against a real PostgreSQL 15; see testdata/tags_pg15.tsv).
// Nested statements (EXPLAIN, PREPARE, DECLARE, COPY (query)) are parsed
// recursively, but only after their leading keyword is known to be
// allowed, which keeps the work linear in the input.
//
// Errors are *Error values carrying the SQLSTATE PostgreSQL itself would
// report and, where it would, a 1-based character position, so the wire
// layer can forward them unchanged and psql draws its caret in the right
// place. Positions are relative to the string given to Lex/Parse;
// SplitOffsets and ShiftError make them relative to a whole simple-Query
// string, as PostgreSQL reports them.
//
// The package holds no mutable global state; its tables are read-only.
package pgsql
