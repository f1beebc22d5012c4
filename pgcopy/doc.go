// Package pgcopy encodes and decodes the data stream of PostgreSQL's COPY
// command in its three formats — text, csv and binary — with the exact
// semantics of PostgreSQL 15's copyfromparse.c and copyto.c.
//
// The package deals only in bytes. The wire layer owns the protocol messages
// (CopyInResponse, CopyData, CopyDone, CopyFail) and the type layer owns the
// conversion of a field to and from a column value; pgcopy sits in between
// and turns the concatenated CopyData payloads into rows of raw fields, and
// rows of rendered fields back into a payload.
//
// # Decoding
//
// A Decoder is a push parser. Write hands it a CopyData payload; Next returns
// complete rows until it needs more input; Finish marks CopyDone, after which
// Next also returns a final row that lacks its newline and then reports the
// clean end of the data. CopyData boundaries carry no meaning in COPY, so
// every result — rows, errors, even the line number an error mentions — is
// independent of how the input was split into chunks. The line reader is a
// resumable port of PostgreSQL's CopyReadLineText: it keeps its scan position
// and quote state between calls, so a long row arriving in many small chunks
// is scanned once, and it never looks at a byte before PostgreSQL would have,
// so errors come out in the same order.
//
// Like PostgreSQL with a UTF8 database, the text and csv decoders verify
// that the input is valid UTF-8 (and free of NUL bytes) before parsing it,
// and verify again any field whose backslash escapes produced non-ASCII
// bytes. Verification runs ahead of the line reader but an invalid sequence
// is reported only when the reader needs those bytes, which is what keeps
// garbage after an end-of-data marker (\.) harmless.
//
// # Invariants
//
//   - No input makes the package panic; malformed input yields an *Error
//     carrying the SQLSTATE and message PostgreSQL would send.
//   - Memory is bounded: a row (a text/csv line, or a binary tuple) larger
//     than Options.MaxRowSize is rejected with SQLSTATE 54000 before it is
//     buffered in full, provided the caller drains Next after every Write.
//   - An error is sticky: once Next, Write or Finish has failed, every later
//     call returns the same error.
//   - Fields returned by Next alias the decoder's buffers and are valid only
//     until the next call of any Decoder method. A nil field is SQL NULL; an
//     empty non-NULL field is a non-nil empty slice.
//
// # Encoding
//
// An Encoder appends to a caller-owned buffer, so the wire layer can batch
// many rows into one CopyData message without copying. Values are the
// already-rendered text of each column for text and csv, or the binary
// send-format bytes for binary; quoting and escaping follow CopyAttributeOutText
// and CopyAttributeOutCSV byte for byte.
//
// # Options
//
// ParseOptions turns the option list of a COPY statement into Options with
// PostgreSQL's ProcessCopyOptions checks, in PostgreSQL's order, so the first
// error reported for a bad combination is the one psql would print. Options
// can also be built directly and checked with Validate.
package pgcopy
