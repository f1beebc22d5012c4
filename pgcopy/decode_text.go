package pgcopy

import "bytes"

// eolType is the newline style, fixed by the first line terminator seen:
// PostgreSQL rejects any other style in the rest of the data.
type eolType int8

const (
	eolUnknown eolType = iota
	eolNL
	eolCR
	eolCRNL
)

// lineState is the resumable part of CopyReadLineText: where the scan of
// the current line stopped and the csv quoting state at that point.
type lineState struct {
	active     bool // a line is being read (its number is counted)
	scan       int  // absolute index into buf of the next byte to examine
	inQuote    bool
	lastWasEsc bool
	firstChar  bool
}

// nextText is NextCopyFromRawFields plus the column-count checks of
// NextCopyFrom.
func (d *Decoder) nextText() ([][]byte, bool, error) {
	if d.cfg.header && !d.headerDone {
		line, last, ok, err := d.readLine()
		if err != nil || !ok {
			return nil, false, err
		}
		d.headerDone = true
		if d.cfg.headerMatch {
			if err := d.matchHeader(line); err != nil {
				return nil, false, err
			}
		}
		if last {
			d.done = true
			return nil, false, nil
		}
	}
	line, last, ok, err := d.readLine()
	if err != nil || !ok {
		return nil, false, err
	}
	if last {
		// End of input after some characters acts as newline + EOF.
		d.done = true
		if len(line) == 0 {
			return nil, false, nil
		}
	}
	nf, err := d.parseFields(line)
	if err != nil {
		return nil, false, err
	}
	if d.ncols > 0 && nf > d.ncols {
		return nil, false, d.withLine(errorf(CodeBadCopyFileFormat, "extra data after last expected column"), line)
	}
	if nf < d.ncols {
		return nil, false, d.withLine(errorf(CodeBadCopyFileFormat, "missing data for column \"%s\"", d.columnName(nf)), line)
	}
	if d.cfg.format == CSV && (d.cfg.forceNotNull != nil || d.cfg.forceNull != nil) {
		for i, f := range d.fields {
			switch {
			case f == nil && flagAt(d.cfg.forceNotNull, i):
				d.fields[i] = d.nulls[:len(d.nulls):len(d.nulls)]
			case f != nil && flagAt(d.cfg.forceNull, i) && bytes.Equal(f, d.cfg.null):
				d.fields[i] = nil
			}
		}
	}
	return d.fields, true, nil
}

// matchHeader is the HEADER MATCH check of PostgreSQL 15.
func (d *Decoder) matchHeader(line []byte) error {
	nf, err := d.parseFields(line)
	if err != nil {
		return err
	}
	if nf != d.ncols {
		return d.withLine(errorf(CodeBadCopyFileFormat,
			"wrong number of fields in header line: got %d, expected %d", nf, d.ncols), line)
	}
	if d.names == nil {
		return nil
	}
	for i, f := range d.fields {
		want := d.columnName(i)
		if f == nil {
			return d.withLine(errorf(CodeBadCopyFileFormat,
				"column name mismatch in header line field %d: got null value (\"%s\"), expected \"%s\"",
				i+1, d.cfg.null, want), line)
		}
		if string(f) != want {
			return d.withLine(errorf(CodeBadCopyFileFormat,
				"column name mismatch in header line field %d: got \"%s\", expected \"%s\"",
				i+1, f, want), line)
		}
	}
	return nil
}

// verifyInput extends the verified prefix of buf and reports how far the
// line reader may look (limit), whether that is the true end of input, and
// the encoding error waiting at limit, if any. Like CopyLoadInputBuf, the
// error is the reader's to raise: only when it needs the bytes at limit.
func (d *Decoder) verifyInput() (limit int, atEOF bool, encErr *Error) {
	if !d.cfg.checkEnc {
		return len(d.buf), d.eof, nil
	}
	if !d.bad && d.verified < len(d.buf) {
		n, bad := verifyUTF8(d.buf[d.verified:], d.eof)
		d.verified += n
		d.bad = bad
	}
	if d.bad {
		// The message quotes as many bytes as the lead byte announces;
		// wait for them so that it does not depend on chunking.
		if rest := d.buf[d.verified:]; d.eof || len(rest) >= pgUTF8Len(rest[0]) {
			return d.verified, false, errInvalidEncoding(rest)
		}
		return d.verified, false, nil
	}
	return d.verified, d.eof && d.verified == len(d.buf), nil
}

// readLine is CopyReadLine/CopyReadLineText made resumable. It returns the
// next line without its terminator. ok=false with a nil error means more
// input is needed; the scan resumes where it stopped. last means the line
// was ended by the end of input or by an end-of-data marker, so nothing
// follows it.
//
// Where PostgreSQL would go back for more data (IF_NEED_REFILL_AND_NOT_EOF_
// CONTINUE) this gives up on the current byte and restores the csv state it
// had before the byte, so a byte is always processed exactly once whatever
// the chunking. Past the end of input, lookahead reads NUL as PostgreSQL's
// padded buffer does.
func (d *Decoder) readLine() (line []byte, last, ok bool, err error) {
	if !d.lr.active {
		d.lr = lineState{active: true, scan: d.pos, firstChar: true}
		d.line++
	}
	limit, atEOF, encErr := d.verifyInput()
	csv := d.cfg.format == CSV
	quotec, escapec := d.cfg.quote, d.lineEsc
	buf := d.buf
	at := func(i int) byte {
		if i < limit {
			return buf[i]
		}
		return 0
	}
	special := &d.special
	st := d.lr
	p := st.scan
	// needMore parks the scan at byte prev with the state it had there.
	needMore := func(prev int, saved lineState, savedLine int64) ([]byte, bool, bool, error) {
		if encErr != nil {
			// Raised now, so it names the line as counted so far.
			return nil, false, false, d.atLine(encErr)
		}
		d.line = savedLine
		d.lr = saved
		d.lr.scan = prev
		if n := prev - d.pos; n > d.cfg.maxRow {
			return nil, false, false, d.atLine(errTooLong(n, len(buf)-prev))
		}
		return nil, false, false, nil
	}
	// endLine hands back buf[pos:lineEnd] and consumes input up to next.
	endLine := func(lineEnd, next int, last bool) ([]byte, bool, bool, error) {
		if n := lineEnd - d.pos; n > d.cfg.maxRow {
			return nil, false, false, d.atLine(errTooLong(d.cfg.maxRow, n-d.cfg.maxRow))
		}
		line := buf[d.pos:lineEnd]
		d.pos = next
		d.lr = lineState{}
		if last {
			// Anything after an end-of-data marker is discarded.
			d.pos = len(buf)
		}
		return line, last, true, nil
	}
	badFormat := func(csvMsg, textMsg, csvHint, textHint string) ([]byte, bool, bool, error) {
		e := errorf(CodeBadCopyFileFormat, "%s", textMsg)
		e.Hint = textHint
		if csv {
			e.Message, e.Hint = csvMsg, csvHint
		}
		return nil, false, false, d.atLine(e)
	}
	errCR := func() ([]byte, bool, bool, error) {
		return badFormat("unquoted carriage return found in data", "literal carriage return found in data",
			"Use quoted CSV field to represent carriage return.", `Use "\r" to represent carriage return.`)
	}
	errNL := func() ([]byte, bool, bool, error) {
		return badFormat("unquoted newline found in data", "literal newline found in data",
			"Use quoted CSV field to represent newline.", `Use "\n" to represent newline.`)
	}
	marker := func(msg string) ([]byte, bool, bool, error) {
		return nil, false, false, d.atLine(errorf(CodeBadCopyFileFormat, "%s", msg))
	}

	for {
		if p >= limit {
			if !atEOF {
				return needMore(p, st, d.line)
			}
			return endLine(p, p, true)
		}
		c := buf[p]
		if !special[c] {
			// Ordinary bytes only clear the csv escape state.
			p++
			for p < limit && !special[buf[p]] {
				p++
			}
			st.firstChar = false
			st.lastWasEsc = false
			continue
		}
		prev := p
		p++
		saved, savedLine := st, d.line
		if csv {
			if (c == '\\' || c == '\r') && p >= limit && !atEOF {
				return needMore(prev, saved, savedLine)
			}
			// Only an escape inside quotes that precedes a quote counts,
			// and not the second of an escape-escape pair.
			if st.inQuote && c == escapec {
				st.lastWasEsc = !st.lastWasEsc
			}
			if c == quotec && !st.lastWasEsc {
				st.inQuote = !st.inQuote
			}
			if c != escapec {
				st.lastWasEsc = false
			}
			// PostgreSQL's admittedly fragile physical line count.
			eolc := byte('\r')
			if d.eol == eolNL {
				eolc = '\n'
			}
			if st.inQuote && c == eolc {
				d.line++
			}
		}

		if c == '\r' && (!csv || !st.inQuote) {
			switch d.eol {
			case eolUnknown, eolCRNL:
				if p >= limit && !atEOF {
					return needMore(prev, saved, savedLine)
				}
				if at(p) == '\n' {
					p++
					d.eol = eolCRNL
				} else {
					if d.eol == eolCRNL {
						return errCR()
					}
					d.eol = eolCR
				}
			case eolNL:
				return errCR()
			}
			return endLine(prev, p, false)
		}
		if c == '\n' && (!csv || !st.inQuote) {
			if d.eol == eolCR || d.eol == eolCRNL {
				return errNL()
			}
			d.eol = eolNL
			return endLine(prev, p, false)
		}

		// csv knows \. only alone on a line, since \. is valid csv data;
		// in text it ends the data anywhere.
		if c == '\\' && (!csv || st.firstChar) {
			if p >= limit {
				if !atEOF {
					return needMore(prev, saved, savedLine)
				}
				// A backslash just before EOF is data.
				return endLine(p, p, true)
			}
			if buf[p] == '.' {
				p++
				isMarker := true
				if d.eol == eolCRNL {
					if p >= limit && !atEOF {
						return needMore(prev, saved, savedLine)
					}
					c2 := at(p)
					p++
					switch {
					case c2 == '\n':
						if !csv {
							return marker("end-of-copy marker does not match previous newline style")
						}
						isMarker = false
					case c2 != '\r':
						if !csv {
							return marker("end-of-copy marker corrupt")
						}
						isMarker = false
					}
				}
				if isMarker {
					if p >= limit && !atEOF {
						return needMore(prev, saved, savedLine)
					}
					c2 := at(p)
					p++
					if c2 != '\r' && c2 != '\n' {
						if !csv {
							return marker("end-of-copy marker corrupt")
						}
						isMarker = false
					} else if (d.eol == eolNL && c2 != '\n') ||
						(d.eol == eolCRNL && c2 != '\n') ||
						(d.eol == eolCR && c2 != '\r') {
						return marker("end-of-copy marker does not match previous newline style")
					}
				}
				if isMarker {
					d.ended = true
					return endLine(prev, p, true)
				}
				// csv data that merely starts with \.: rescan from the
				// byte after the backslash.
				p = prev + 1
			} else if !csv {
				// In text anything after a backslash is data, so \\. is
				// not a marker and an escaped newline does not end the
				// line.
				p++
			}
		}
		st.firstChar = false
	}
}

// parseFields splits a line into d.fields, de-escaping as it goes, and
// returns the number of fields found. It stores at most ncols fields: more
// is an error the caller reports, but only after the whole line has been
// parsed, because a later field may hold an error PostgreSQL finds first.
func (d *Decoder) parseFields(line []byte) (int, error) {
	// Zero-column tables take only empty lines.
	if d.ncols == 0 {
		if len(line) != 0 {
			return 0, d.withLine(errorf(CodeBadCopyFileFormat, "extra data after last expected column"), line)
		}
		d.fields = d.fields[:0]
		return 0, nil
	}
	// De-escaped output is never longer than the input, so one allocation
	// holds every field and the slices handed out stay put. The +1 keeps
	// the buffer non-nil so an empty field is an empty, non-nil slice.
	if c := cap(d.attr); c < len(line)+1 || c > shrinkAbove && len(line) < c/4 {
		d.attr = make([]byte, 0, len(line)+1)
	}
	if d.fields == nil {
		d.fields = make([][]byte, 0, d.ncols)
	}
	d.fields = d.fields[:0]
	if d.cfg.format == CSV {
		return d.parseCSV(line)
	}
	return d.parseText(line)
}

// parseText is CopyReadAttributesText.
func (d *Decoder) parseText(line []byte) (int, error) {
	delim := d.cfg.delim
	null := d.cfg.null
	out := d.attr[:0]
	n := len(line)
	cur, nf := 0, 0
	for {
		start, ostart := cur, len(out)
		found, nonASCII := false, false
		end := cur
		for {
			// Copy a run of plain bytes at once.
			run := cur
			for run < n && line[run] != delim && line[run] != '\\' {
				run++
			}
			out = append(out, line[cur:run]...)
			cur = run
			end = cur
			if cur >= n {
				break
			}
			c := line[cur]
			cur++
			if c == delim {
				found = true
				break
			}
			// c is a backslash.
			if cur >= n {
				// A trailing backslash is dropped.
				break
			}
			c = line[cur]
			cur++
			switch c {
			case '0', '1', '2', '3', '4', '5', '6', '7':
				val := int(c - '0')
				if cur < n && isOctal(line[cur]) {
					val = val<<3 + int(line[cur]-'0')
					cur++
					if cur < n && isOctal(line[cur]) {
						val = val<<3 + int(line[cur]-'0')
						cur++
					}
				}
				c = byte(val)
				nonASCII = nonASCII || c == 0 || c >= 0x80
			case 'x':
				if cur < n && isHex(line[cur]) {
					val := hexValue(line[cur])
					cur++
					if cur < n && isHex(line[cur]) {
						val = val<<4 + hexValue(line[cur])
						cur++
					}
					c = val
					nonASCII = nonASCII || c == 0 || c >= 0x80
				}
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'v':
				c = '\v'
			}
			out = append(out, c)
		}
		// The NULL marker is matched against the raw input, so `\N` is
		// NULL while `\\N` is the string \N.
		isNull := end-start == len(null) && bytes.Equal(line[start:end], null)
		if !isNull && nonASCII && d.cfg.checkEnc {
			f := out[ostart:]
			if k, bad := verifyUTF8(f, true); bad || k < len(f) {
				return 0, d.withLine(errInvalidEncoding(f[k:]), line)
			}
		}
		d.storeField(nf, out, ostart, isNull)
		nf++
		if !found {
			break
		}
	}
	d.attr = out
	return nf, nil
}

// parseCSV is CopyReadAttributesCSV.
func (d *Decoder) parseCSV(line []byte) (int, error) {
	delim, quotec, escapec := d.cfg.delim, d.cfg.quote, d.cfg.escape
	null := d.cfg.null
	out := d.attr[:0]
	n := len(line)
	cur, nf := 0, 0
	for {
		start, ostart := cur, len(out)
		found, sawQuote := false, false
		end := cur
	field:
		for {
			// Outside quotes.
			for {
				run := cur
				for run < n && line[run] != delim && line[run] != quotec {
					run++
				}
				out = append(out, line[cur:run]...)
				cur = run
				end = cur
				if cur >= n {
					break field
				}
				c := line[cur]
				cur++
				if c == delim {
					found = true
					break field
				}
				if c == quotec {
					sawQuote = true
					break
				}
				out = append(out, c)
			}
			// Inside quotes.
			for {
				run := cur
				for run < n && line[run] != quotec && line[run] != escapec {
					run++
				}
				out = append(out, line[cur:run]...)
				cur = run
				end = cur
				if cur >= n {
					return 0, d.withLine(errorf(CodeBadCopyFileFormat, "unterminated CSV quoted field"), line)
				}
				c := line[cur]
				cur++
				// The escape is tested first because it is usually the
				// quote itself.
				if c == escapec && cur < n {
					if nc := line[cur]; nc == escapec || nc == quotec {
						out = append(out, nc)
						cur++
						continue
					}
				}
				if c == quotec {
					break
				}
				out = append(out, c)
			}
		}
		// Only an unquoted field can be NULL: "" is the empty string.
		isNull := !sawQuote && end-start == len(null) && bytes.Equal(line[start:end], null)
		d.storeField(nf, out, ostart, isNull)
		nf++
		if !found {
			break
		}
	}
	d.attr = out
	return nf, nil
}

// storeField records field nf, out[ostart:], if it is one of the ncols the
// row returns.
func (d *Decoder) storeField(nf int, out []byte, ostart int, isNull bool) {
	if nf >= d.ncols {
		return
	}
	if isNull {
		d.fields = append(d.fields, nil)
		return
	}
	d.fields = append(d.fields, out[ostart:len(out):len(out)])
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexValue(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
