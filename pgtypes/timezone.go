package pgtypes

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // TimeZone must work on hosts without /usr/share/zoneinfo
)

// SetTimeZone changes the session TimeZone, which decides how timestamptz
// values print in text format and how zone-less timestamptz parameters are
// read. It accepts what PostgreSQL's SET TimeZone accepts:
//
//   - IANA names, case-insensitively ("UTC", "Europe/Paris", "america/new_york")
//     and the legacy names tzdata ships ("EST5EDT", "Etc/GMT-3");
//   - a plain number of hours east of UTC ("5", "-3.5"), as SET TIME ZONE 5;
//   - a POSIX offset ("+02:00", "UTC+3", "<+05>-05"), where, as in
//     PostgreSQL, a positive offset is WEST of Greenwich: "+02:00" is UTC-2.
//
// Anything else fails with 22023 and leaves the setting unchanged.
func (c *Codec) SetTimeZone(name string) error {
	loc, display, ok := c.resolveTimeZone(name)
	if !ok {
		return errorf(CodeInvalidParameterValue, "invalid value for parameter \"TimeZone\": \"%s\"", name)
	}
	c.loc, c.tzName = loc, display
	return nil
}

// TimeZone returns the session TimeZone as SHOW TimeZone (and the
// ParameterStatus message) reports it: the canonical zone name, or the
// POSIX form for numeric offsets.
func (c *Codec) TimeZone() string { return c.tzName }

// Location returns the session time zone.
func (c *Codec) Location() *time.Location { return c.loc }

func (c *Codec) resolveTimeZone(name string) (*time.Location, string, bool) {
	n := strings.TrimSpace(name)
	if n == "" {
		return nil, "", false
	}
	// A bare number is hours east of UTC (SET TIME ZONE 5.5).
	if strings.IndexByte(n, ':') < 0 {
		if h, err := strconv.ParseFloat(n, 64); err == nil && !strings.ContainsAny(n, "eEnNiI") {
			secs := int(h * 3600)
			if h != h || secs <= -24*3600 || secs >= 24*3600 {
				return nil, "", false
			}
			display := "<" + posixOffsetString(secs) + ">" + posixOffsetString(-secs)
			return time.FixedZone(display, secs), display, true
		}
	}
	if loc, ok := c.loadZone(n); ok {
		return loc, loc.String(), true
	}
	if secs, ok := parsePosixZone(n); ok {
		return time.FixedZone(n, secs), n, true
	}
	return nil, "", false
}

// posixOffsetString renders seconds as "+05", "+05:30", "-03:15".
func posixOffsetString(secs int) string {
	return string(appendOffset(nil, secs))
}

// parsePosixZone parses a POSIX TZ string without DST rules: an optional
// standard-time name ("UTC", "<+05>") then an offset west of Greenwich. It
// returns seconds east.
func parsePosixZone(s string) (int, bool) {
	rest := s
	switch {
	case strings.HasPrefix(rest, "<"):
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			return 0, false
		}
		rest = rest[end+1:]
	default:
		i := 0
		for i < len(rest) && (rest[i] >= 'a' && rest[i] <= 'z' || rest[i] >= 'A' && rest[i] <= 'Z') {
			i++
		}
		if i != 0 && i < 3 {
			return 0, false
		}
		rest = rest[i:]
	}
	if rest == "" {
		return 0, false
	}
	sign := 1
	switch rest[0] {
	case '+':
		rest = rest[1:]
	case '-':
		sign = -1
		rest = rest[1:]
	}
	parts := strings.Split(rest, ":")
	if len(parts) > 3 {
		return 0, false
	}
	secs := 0
	mult := 3600
	for i, p := range parts {
		if p == "" || len(p) > 2 && i > 0 || len(p) > 3 || !isDigits(p) {
			return 0, false
		}
		v, _ := strconv.Atoi(p)
		if i > 0 && v > 59 {
			return 0, false
		}
		secs += v * mult
		mult /= 60
	}
	if secs > 24*3600 {
		return 0, false
	}
	return -sign * secs, true
}

// loadZone finds an IANA zone by name, ignoring case as PostgreSQL does,
// and caches it for the session (loading parses tzdata).
func (c *Codec) loadZone(name string) (*time.Location, bool) {
	if loc, ok := c.zones[name]; ok {
		return loc, loc != nil
	}
	var found *time.Location
	for _, cand := range zoneNameCandidates(name) {
		if cand == "" || cand == "Local" || strings.Contains(cand, "..") || strings.HasPrefix(cand, "/") {
			continue
		}
		if loc, err := time.LoadLocation(cand); err == nil {
			found = loc
			break
		}
	}
	if found == nil && strings.IndexByte(name, '/') > 0 {
		found = loadZoneFolded(name)
	}
	if len(c.zones) < 256 {
		c.zones[name] = found
	}
	return found, found != nil
}

// loadZoneFolded finds a zone whose name matches case-insensitively by
// listing the system zoneinfo directory, for names the capitalisation
// heuristics miss ("america/port-au-prince"). Without the directory (only
// the embedded tzdata) such names are not found.
func loadZoneFolded(name string) *time.Location {
	if strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil
	}
	root := os.Getenv("ZONEINFO")
	if st, err := os.Stat(root); root == "" || err != nil || !st.IsDir() {
		root = "/usr/share/zoneinfo"
	}
	var match string
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || match != "" {
			return filepath.SkipDir
		}
		rel, rerr := filepath.Rel(root, path)
		if rerr != nil {
			return nil
		}
		if d.IsDir() {
			// Only descend into directories that prefix the name.
			if rel != "." && !strings.HasPrefix(strings.ToLower(name), strings.ToLower(rel)+"/") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.EqualFold(rel, name) {
			match = rel
			return filepath.SkipAll
		}
		return nil
	})
	if match == "" {
		return nil
	}
	loc, err := time.LoadLocation(match)
	if err != nil {
		return nil
	}
	return loc
}

// zoneNameCandidates lists spellings to try for a zone name given in any
// case: as given, upper case ("utc", "est5edt"), and capitalised segments
// ("america/new_york" → "America/New_York", "etc/gmt-3" → "Etc/GMT-3").
func zoneNameCandidates(name string) []string {
	cands := []string{name, strings.ToUpper(name)}
	var b strings.Builder
	upperWord := false
	start := true
	for i := 0; i < len(name); i++ {
		ch := name[i]
		switch {
		case ch == '/' || ch == '_' || ch == '-':
			b.WriteByte(ch)
			start = true
			continue
		case start:
			rest := strings.ToLower(name[i:])
			upperWord = strings.HasPrefix(rest, "gmt") || strings.HasPrefix(rest, "utc") || strings.HasPrefix(rest, "uct")
			b.WriteString(strings.ToUpper(string(ch)))
		case upperWord:
			b.WriteString(strings.ToUpper(string(ch)))
		default:
			b.WriteString(strings.ToLower(string(ch)))
		}
		start = false
	}
	cands = append(cands, b.String())
	return cands
}
