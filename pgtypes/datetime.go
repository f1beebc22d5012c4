package pgtypes

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Temporal values are handled as integers counted, like PostgreSQL, from
// 2000-01-01: microseconds (UTC for timestamptz, the wall clock read as UTC
// for timestamp), days for date; time is microseconds since midnight. Unix
// microseconds would overflow int64 before PostgreSQL's last year (294276).
// Conversions to and from civil dates use Hinnant's algorithms, which are
// exact for the whole PostgreSQL range (4714 BC to 294276 AD) and do not
// allocate.

const (
	usPerSec  = int64(1_000_000)
	usPerMin  = 60 * usPerSec
	usPerHour = 60 * usPerMin
	usPerDay  = 24 * usPerHour
	secPerDay = int64(86400)

	// pgEpochUnix is 2000-01-01 00:00:00 UTC in Unix seconds.
	pgEpochUnix = int64(946_684_800)
	pgEpochUS   = pgEpochUnix * usPerSec
	// pgEpochDays is 2000-01-01 in days since the Unix epoch.
	pgEpochDays = int64(10957)
)

// timeToPG converts a time.Time to microseconds since 2000-01-01 UTC.
func timeToPG(t time.Time) int64 { return t.UnixMicro() - pgEpochUS }

// pgToTime converts microseconds since 2000-01-01 UTC to a time.Time
// without overflowing for far-future values.
func pgToTime(us int64) time.Time {
	secs, rem := floorDiv(us, usPerSec)
	return time.Unix(secs+pgEpochUnix, rem*1000)
}

// Range limits, as in PostgreSQL: timestamps from 4714-11-24 00:00:00 BC
// (Julian day 0) to before 294277-01-01, dates to 5874897-12-31.
var (
	minTimestampUS = daysFromCivil(-4713, 11, 24) * usPerDay
	endTimestampUS = daysFromCivil(294277, 1, 1) * usPerDay
	minDateDays    = daysFromCivil(-4713, 11, 24)
	maxDateDays    = daysFromCivil(5874897, 12, 31)
)

// infinity markers for date/timestamp values.
const (
	finite  = 0
	posInf  = 1
	negInf  = -1
	infText = "infinity"
)

// daysFromCivil returns days since 2000-01-01 of a proleptic Gregorian date
// with an astronomical year (1 BC = 0).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 730425
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y, m, d int64) {
	z += 730425
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) (q, r int64) {
	q, r = a/b, a%b
	if r < 0 {
		q--
		r += b
	}
	return q, r
}

// appendDate appends YYYY-MM-DD (year padded to 4 digits) and reports
// whether the year is BC, whose " BC" suffix goes at the very end.
func appendDate(buf []byte, days int64) ([]byte, bool) {
	y, m, d := civilFromDays(days)
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	if y < 1000 {
		buf = append(buf, '0'+byte(y/1000), '0'+byte(y/100%10), '0'+byte(y/10%10), '0'+byte(y%10))
	} else {
		buf = strconv.AppendInt(buf, y, 10)
	}
	buf = append(buf, '-', '0'+byte(m/10), '0'+byte(m%10), '-', '0'+byte(d/10), '0'+byte(d%10))
	return buf, bc
}

// appendClock appends HH:MM:SS[.ffffff] with trailing fractional zeros
// trimmed. us is in [0, 24h].
func appendClock(buf []byte, us int64) []byte {
	h := us / usPerHour
	us -= h * usPerHour
	mi := us / usPerMin
	us -= mi * usPerMin
	s := us / usPerSec
	us -= s * usPerSec
	buf = append(buf, '0'+byte(h/10), '0'+byte(h%10), ':', '0'+byte(mi/10), '0'+byte(mi%10), ':', '0'+byte(s/10), '0'+byte(s%10))
	return appendFraction(buf, us)
}

// appendFraction appends ".ffffff" without trailing zeros, nothing for 0.
func appendFraction(buf []byte, us int64) []byte {
	if us == 0 {
		return buf
	}
	var f [7]byte
	f[0] = '.'
	for i := 6; i >= 1; i-- {
		f[i] = '0' + byte(us%10)
		us /= 10
	}
	n := 7
	for f[n-1] == '0' {
		n--
	}
	return append(buf, f[:n]...)
}

// appendOffset appends a UTC offset as PostgreSQL prints it: +HH, +HH:MM or
// +HH:MM:SS (local mean time offsets have seconds).
func appendOffset(buf []byte, off int) []byte {
	sign := byte('+')
	if off < 0 {
		sign = '-'
		off = -off
	}
	h, m, s := off/3600, off/60%60, off%60
	buf = append(buf, sign, '0'+byte(h/10), '0'+byte(h%10))
	if m != 0 || s != 0 {
		buf = append(buf, ':', '0'+byte(m/10), '0'+byte(m%10))
	}
	if s != 0 {
		buf = append(buf, ':', '0'+byte(s/10), '0'+byte(s%10))
	}
	return buf
}

// appendTimestamp appends a timestamp given as wall-clock microseconds,
// followed by the offset when withZone, and " BC" for years before 1 AD.
func appendTimestamp(buf []byte, wallUS int64, withZone bool, off int) []byte {
	days, us := floorDiv(wallUS, usPerDay)
	buf, bc := appendDate(buf, days)
	buf = append(buf, ' ')
	buf = appendClock(buf, us)
	if withZone {
		buf = appendOffset(buf, off)
	}
	if bc {
		buf = append(buf, " BC"...)
	}
	return buf
}

func appendInfinity(buf []byte, inf int) []byte {
	if inf < 0 {
		buf = append(buf, '-')
	}
	return append(buf, infText...)
}

// storageTimestamptz renders the storage form: UTC with an explicit
// "+00:00", which SQLite's date functions parse and which sorts correctly.
func storageTimestamptz(us int64, inf int) string {
	if inf != finite {
		return string(appendInfinity(nil, inf))
	}
	var b [40]byte
	days, rem := floorDiv(us, usPerDay)
	out, bc := appendDate(b[:0], days)
	out = append(out, ' ')
	out = appendClock(out, rem)
	out = append(out, "+00:00"...)
	if bc {
		out = append(out, " BC"...)
	}
	return string(out)
}

func storageTimestamp(us int64, inf int) string {
	if inf != finite {
		return string(appendInfinity(nil, inf))
	}
	var b [40]byte
	return string(appendTimestamp(b[:0], us, false, 0))
}

func storageDate(days int64, inf int) string {
	if inf != finite {
		return string(appendInfinity(nil, inf))
	}
	var b [20]byte
	out, bc := appendDate(b[:0], days)
	if bc {
		out = append(out, " BC"...)
	}
	return string(out)
}

func storageTime(us int64) string {
	var b [20]byte
	return string(appendClock(b[:0], us))
}

// ---------------------------------------------------------------------------
// Fast path for values already in storage form.

func digits2(s string, i int) (int64, bool) {
	a, b := s[i]-'0', s[i+1]-'0'
	if a > 9 || b > 9 {
		return 0, false
	}
	return int64(a)*10 + int64(b), true
}

// parseStorageTimestamp reads "YYYY-MM-DD[ T]HH:MM:SS[.f{1,6}]" optionally
// followed by "Z", "+HH", "+HH:MM" or "-..": the storage form and the usual
// ISO 8601 shapes. It returns the wall clock in microseconds and the offset;
// anything else (including out-of-range fields) is left to the full parser.
func parseStorageTimestamp(s string) (wallUS int64, off int, hasZone, ok bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' {
		return 0, 0, false, false
	}
	y1, ok1 := digits2(s, 0)
	y2, ok2 := digits2(s, 2)
	mo, ok3 := digits2(s, 5)
	d, ok4 := digits2(s, 8)
	h, ok5 := digits2(s, 11)
	mi, ok6 := digits2(s, 14)
	se, ok7 := digits2(s, 17)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return 0, 0, false, false
	}
	y := y1*100 + y2
	if y == 0 || mo < 1 || mo > 12 || d < 1 || d > int64(daysIn(int(y), int(mo))) || h > 23 || mi > 59 || se > 59 {
		return 0, 0, false, false
	}
	i := 19
	var frac int64
	if i < len(s) && s[i] == '.' {
		i++
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if n == 6 {
				return 0, 0, false, false // needs rounding: full parser
			}
			frac = frac*10 + int64(s[i]-'0')
			n++
			i++
		}
		if n == 0 {
			return 0, 0, false, false
		}
		for ; n < 6; n++ {
			frac *= 10
		}
	}
	rest := s[i:]
	switch {
	case rest == "":
	case rest == "Z" || rest == "z":
		hasZone = true
	case (rest[0] == '+' || rest[0] == '-') && (len(rest) == 3 || len(rest) == 6 && rest[3] == ':'):
		oh, okh := digits2(rest, 1)
		var om int64
		okm := true
		if len(rest) == 6 {
			om, okm = digits2(rest, 4)
		}
		if !okh || !okm || oh > 15 || om > 59 {
			return 0, 0, false, false
		}
		off = int(oh*3600 + om*60)
		if rest[0] == '-' {
			off = -off
		}
		hasZone = true
	default:
		return 0, 0, false, false
	}
	wallUS = daysFromCivil(y, mo, d)*usPerDay + h*usPerHour + mi*usPerMin + se*usPerSec + frac
	return wallUS, off, hasZone, true
}

// parseStorageDate reads exactly "YYYY-MM-DD".
func parseStorageDate(s string) (int64, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	y1, ok1 := digits2(s, 0)
	y2, ok2 := digits2(s, 2)
	mo, ok3 := digits2(s, 5)
	d, ok4 := digits2(s, 8)
	y := y1*100 + y2
	if !(ok1 && ok2 && ok3 && ok4) || y == 0 || mo < 1 || mo > 12 || d < 1 || d > int64(daysIn(int(y), int(mo))) {
		return 0, false
	}
	return daysFromCivil(y, mo, d), true
}

// ---------------------------------------------------------------------------
// General date/time input, after PostgreSQL's ParseDateTime/DecodeDateTime.

type dtSpecial uint8

const (
	spNone dtSpecial = iota
	spInfinity
	spNegInfinity
	spEpoch
	spNow
	spToday
	spTomorrow
	spYesterday
	spAllballs
)

var dtSpecials = map[string]dtSpecial{
	"infinity":  spInfinity,
	"+infinity": spInfinity,
	"-infinity": spNegInfinity,
	"epoch":     spEpoch,
	"now":       spNow,
	"today":     spToday,
	"tomorrow":  spTomorrow,
	"yesterday": spYesterday,
	"allballs":  spAllballs,
}

var monthNames = map[string]int{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

var weekdayNames = map[string]bool{
	"sun": true, "sunday": true, "mon": true, "monday": true, "tue": true, "tues": true, "tuesday": true,
	"wed": true, "wednesday": true, "thu": true, "thur": true, "thurs": true, "thursday": true,
	"fri": true, "friday": true, "sat": true, "saturday": true,
}

// zoneAbbrevs are fixed-offset abbreviations from PostgreSQL's "Default"
// timezone_abbreviations set (seconds east of UTC). Ambiguous ones follow
// PostgreSQL's choice (IST is Israel).
var zoneAbbrevs = map[string]int{
	"utc": 0, "ut": 0, "gmt": 0, "z": 0, "zulu": 0, "wet": 0,
	"bst": 3600, "cet": 3600, "met": 3600, "wat": 3600,
	"cest": 7200, "mest": 7200, "eet": 7200, "sast": 7200, "ist": 7200,
	"eest": 10800, "msk": 10800, "eat": 10800, "idt": 10800,
	"pkt": 18000, "ict": 25200, "hkt": 28800, "sgt": 28800, "awst": 28800, "pht": 28800,
	"jst": 32400, "kst": 32400, "acst": 34200, "acdt": 37800, "aest": 36000, "aedt": 39600,
	"nzst": 43200, "nzdt": 46800,
	"nst": -12600, "ndt": -9000, "ast": -14400, "adt": -10800,
	"est": -18000, "edt": -14400, "cst": -21600, "cdt": -18000, "mst": -25200, "mdt": -21600,
	"pst": -28800, "pdt": -25200, "akst": -32400, "akdt": -28800, "hst": -36000,
}

// dtInput is a decoded date/time string before it is turned into a value.
type dtInput struct {
	special          dtSpecial
	hasDate, hasTime bool
	year             int // astronomical
	month, day       int
	hour, min, sec   int
	usec             int64
	tzSet            bool
	tzOffset         int // seconds east, when tzLoc is nil
	tzLoc            *time.Location
}

type dtError uint8

const (
	dtOK dtError = iota
	dtSyntax
	dtRange
	dtZone
)

// splitDateTimeFields splits on whitespace and commas, and splits
// "dateTtime" into two fields.
func splitDateTimeFields(s string) []string {
	var fields []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ','
	}) {
		if f[0] >= '0' && f[0] <= '9' {
			if i := strings.IndexAny(f, "Tt"); i > 0 && i+1 < len(f) && f[i-1] >= '0' && f[i-1] <= '9' && f[i+1] >= '0' && f[i+1] <= '9' {
				fields = append(fields, f[:i], f[i+1:])
				continue
			}
		}
		fields = append(fields, f)
	}
	return fields
}

// parseDateTime decodes PostgreSQL date/time input (DateStyle ISO, MDY).
func (c *Codec) parseDateTime(s string) (dtInput, dtError) {
	var in dtInput
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return in, dtSyntax
	}
	if sp, ok := dtSpecials[strings.ToLower(trimmed)]; ok {
		in.special = sp
		return in, dtOK
	}
	fields := splitDateTimeFields(trimmed)
	textMonth := 0
	var nums []string
	bc, ad, am, pm := false, false, false, false
	isoDate := false
	for _, f := range fields {
		switch {
		case f[0] >= '0' && f[0] <= '9':
			switch {
			case strings.IndexByte(f, ':') >= 0:
				if in.hasTime {
					return in, dtSyntax
				}
				timePart, zonePart := f, ""
				if i := strings.IndexFunc(f[1:], func(r rune) bool {
					return r == '+' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
				}); i >= 0 {
					timePart, zonePart = f[:i+1], f[i+1:]
				}
				if e := parseTimeField(timePart, &in); e != dtOK {
					return in, e
				}
				if zonePart != "" {
					if e := c.parseZoneToken(zonePart, &in); e != dtOK {
						return in, e
					}
				}
			case strings.ContainsAny(f, "-/."):
				if in.hasDate {
					return in, dtSyntax
				}
				var e dtError
				isoDate, e = parseDateField(f, &in)
				if e != dtOK {
					return in, e
				}
			default: // all digits
				if !isDigits(f) {
					return in, dtSyntax
				}
				switch {
				case !in.hasDate && textMonth == 0 && len(f) == 8:
					y, _ := strconv.Atoi(f[:4])
					m, _ := strconv.Atoi(f[4:6])
					d, _ := strconv.Atoi(f[6:])
					in.year, in.month, in.day, in.hasDate = y, m, d, true
					isoDate = true
				case in.hasDate && isoDate && !in.hasTime && (len(f) == 6 || len(f) == 4):
					in.hour, _ = strconv.Atoi(f[:2])
					in.min, _ = strconv.Atoi(f[2:4])
					if len(f) == 6 {
						in.sec, _ = strconv.Atoi(f[4:])
					}
					in.hasTime = true
				case in.hasDate:
					return in, dtSyntax
				default:
					nums = append(nums, f)
				}
			}
		case f[0] == '+' || f[0] == '-':
			if !in.hasDate && !in.hasTime || in.tzSet {
				return in, dtSyntax
			}
			if e := c.parseZoneToken(f, &in); e != dtOK {
				return in, e
			}
		default:
			w := strings.ToLower(f)
			switch {
			case monthNames[w] != 0:
				if textMonth != 0 || in.hasDate {
					return in, dtSyntax
				}
				textMonth = monthNames[w]
			case weekdayNames[w]:
			case w == "am" || w == "a.m.":
				am = true
			case w == "pm" || w == "p.m.":
				pm = true
			case w == "bc" || w == "b.c.":
				bc = true
			case w == "ad" || w == "a.d.":
				ad = true
			default:
				if in.tzSet {
					return in, dtSyntax
				}
				if e := c.parseZoneToken(f, &in); e != dtOK {
					return in, e
				}
			}
		}
	}
	if textMonth != 0 {
		if len(nums) != 2 {
			return in, dtSyntax
		}
		a, _ := strconv.Atoi(nums[0])
		b, _ := strconv.Atoi(nums[1])
		if len(nums[0]) >= 3 || a > 31 {
			in.year, in.day = a, b
		} else {
			in.day, in.year = a, b
			if len(nums[1]) <= 2 {
				in.year = adjustTwoDigitYear(b)
			}
		}
		in.month = textMonth
		in.hasDate = true
	} else if len(nums) > 0 {
		return in, dtSyntax
	}
	if am || pm {
		if !in.hasTime || am && pm {
			return in, dtSyntax
		}
		if in.hour < 1 || in.hour > 12 {
			return in, dtRange
		}
		in.hour %= 12
		if pm {
			in.hour += 12
		}
	}
	if bc || ad {
		if !in.hasDate || bc && ad {
			return in, dtSyntax
		}
	}
	if in.hasDate {
		if in.year <= 0 || in.month < 1 || in.month > 12 || in.day < 1 || in.day > daysIn(yearForLeap(in.year, bc), in.month) {
			return in, dtRange
		}
		if bc {
			in.year = 1 - in.year
		}
	}
	if in.hasTime {
		if in.hour > 24 || in.min > 59 || in.sec > 60 ||
			in.hour == 24 && (in.min != 0 || in.sec != 0 || in.usec != 0) {
			return in, dtRange
		}
	}
	return in, dtOK
}

// yearForLeap maps an input year to the astronomical year whose leap-ness
// applies (1 BC is leap, like 4 AD).
func yearForLeap(y int, bc bool) int {
	if bc {
		return 1 - y
	}
	return y
}

func adjustTwoDigitYear(y int) int {
	if y < 70 {
		return y + 2000
	}
	if y < 100 {
		return y + 1900
	}
	return y
}

// parseDateField decodes a date written with '-', '/' or '.' separators:
// Y-M-D (year of three or more digits), M/D/Y (DateStyle MDY), and month
// names in any position ("1999-Jan-08", "08-Jan-1999", "Jan-08-1999").
func parseDateField(f string, in *dtInput) (iso bool, e dtError) {
	sep := f[strings.IndexAny(f, "-/.")]
	parts := strings.Split(f, string(sep))
	if len(parts) != 3 {
		return false, dtSyntax
	}
	num := func(p string) (int, bool) {
		if p == "" || !isDigits(p) || len(p) > 9 {
			return 0, false
		}
		n, _ := strconv.Atoi(p)
		return n, true
	}
	mon := func(p string) (int, bool) {
		m := monthNames[strings.ToLower(p)]
		return m, m != 0
	}
	var y, m, d int
	var ok1, ok2, ok3 bool
	yearDigits := 0
	switch {
	case len(parts[0]) >= 3 && isDigits(parts[0]):
		y, ok1 = num(parts[0])
		if m, ok2 = num(parts[1]); !ok2 {
			m, ok2 = mon(parts[1])
		}
		d, ok3 = num(parts[2])
		iso = true
		yearDigits = 3
	default:
		if _, isMon := mon(parts[1]); isMon {
			d, ok1 = num(parts[0])
			m, ok2 = mon(parts[1])
		} else if _, isMon := mon(parts[0]); isMon {
			m, ok1 = mon(parts[0])
			d, ok2 = num(parts[1])
		} else {
			m, ok1 = num(parts[0])
			d, ok2 = num(parts[1])
		}
		y, ok3 = num(parts[2])
		yearDigits = len(parts[2])
	}
	if !ok1 || !ok2 || !ok3 {
		return false, dtSyntax
	}
	if yearDigits <= 2 {
		y = adjustTwoDigitYear(y)
	}
	in.year, in.month, in.day, in.hasDate = y, m, d, true
	return iso, dtOK
}

// parseTimeField decodes H:M[:S[.frac]].
func parseTimeField(f string, in *dtInput) dtError {
	parts := strings.Split(f, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return dtSyntax
	}
	small := func(p string) (int, bool) {
		if p == "" || len(p) > 2 || !isDigits(p) {
			return 0, false
		}
		n, _ := strconv.Atoi(p)
		return n, true
	}
	h, ok1 := small(parts[0])
	m, ok2 := small(parts[1])
	if !ok1 || !ok2 {
		return dtSyntax
	}
	in.hour, in.min = h, m
	if len(parts) == 3 {
		secPart := parts[2]
		frac := ""
		if i := strings.IndexByte(secPart, '.'); i >= 0 {
			secPart, frac = secPart[:i], secPart[i+1:]
			if frac != "" && !isDigits(frac) {
				return dtSyntax
			}
		}
		s, ok := small(secPart)
		if !ok {
			return dtSyntax
		}
		in.sec = s
		if frac != "" {
			// PostgreSQL: rint(strtod("0.frac") * 1e6), round half to even.
			fv, err := strconv.ParseFloat("0."+frac, 64)
			if err != nil {
				return dtSyntax
			}
			in.usec = int64(math.RoundToEven(fv * 1e6))
		}
	}
	in.hasTime = true
	return dtOK
}

// parseZoneToken decodes a zone written after a date/time: numeric offsets
// (+HH, +HHMM, +HH:MM, +HH:MM:SS), abbreviations, "UTC+3"-style POSIX
// offsets and IANA zone names.
func (c *Codec) parseZoneToken(z string, in *dtInput) dtError {
	if in.tzSet {
		return dtSyntax
	}
	if z[0] == '+' || z[0] == '-' {
		off, ok := parseNumericOffset(z[1:])
		if !ok {
			return dtSyntax
		}
		if off > 15*3600+59*60+59 {
			return dtZone
		}
		if z[0] == '-' {
			off = -off
		}
		in.tzSet, in.tzOffset = true, off
		return dtOK
	}
	lower := strings.ToLower(z)
	if off, ok := zoneAbbrevs[lower]; ok {
		in.tzSet, in.tzOffset = true, off
		return dtOK
	}
	// POSIX-style "UTC+3", "GMT-2": the sign is west-positive.
	if i := strings.IndexAny(z, "+-"); i > 0 {
		if base, ok := zoneAbbrevs[lower[:i]]; ok && base == 0 {
			off, ok := parseNumericOffset(z[i+1:])
			if !ok {
				return dtSyntax
			}
			if z[i] == '+' {
				off = -off
			}
			in.tzSet, in.tzOffset = true, off
			return dtOK
		}
	}
	if loc, ok := c.loadZone(z); ok {
		in.tzSet, in.tzLoc = true, loc
		return dtOK
	}
	return dtSyntax
}

// parseNumericOffset parses HH, HHMM, HHMMSS, H, HH:MM, HH:MM:SS into seconds.
func parseNumericOffset(s string) (int, bool) {
	var h, m, sec int
	if strings.IndexByte(s, ':') >= 0 {
		parts := strings.Split(s, ":")
		if len(parts) > 3 {
			return 0, false
		}
		vals := [3]int{}
		for i, p := range parts {
			if p == "" || len(p) > 2 || !isDigits(p) {
				return 0, false
			}
			vals[i], _ = strconv.Atoi(p)
		}
		h, m, sec = vals[0], vals[1], vals[2]
	} else {
		if !isDigits(s) {
			return 0, false
		}
		switch len(s) {
		case 1, 2:
			h, _ = strconv.Atoi(s)
		case 4:
			h, _ = strconv.Atoi(s[:2])
			m, _ = strconv.Atoi(s[2:])
		case 6:
			h, _ = strconv.Atoi(s[:2])
			m, _ = strconv.Atoi(s[2:4])
			sec, _ = strconv.Atoi(s[4:])
		default:
			return 0, false
		}
	}
	if m > 59 || sec > 59 {
		return 0, false
	}
	return h*3600 + m*60 + sec, true
}

// dtErr converts a parse failure into PostgreSQL's error for type t.
func dtErr(t Type, input string, e dtError) *Error {
	switch e {
	case dtRange:
		return errorf(CodeDatetimeFieldOverflow, "date/time field value out of range: \"%s\"", input)
	case dtZone:
		return errorf(CodeInvalidTimeZoneDisplacement, "time zone displacement out of range: \"%s\"", input)
	}
	return syntaxError(t, input)
}

func timestampRangeErr(input string) *Error {
	return errorf(CodeDatetimeFieldOverflow, "timestamp out of range: \"%s\"", input)
}

// wallMicros returns the input's date and time as wall-clock microseconds.
func (in *dtInput) wallMicros() int64 {
	us := daysFromCivil(int64(in.year), int64(in.month), int64(in.day)) * usPerDay
	return us + int64(in.hour)*usPerHour + int64(in.min)*usPerMin + int64(in.sec)*usPerSec + in.usec
}

// offsetAt returns the UTC offset (seconds east) that applies to the wall
// time wallUS in loc. Around a transition it resolves like PostgreSQL's
// DetermineTimeZoneOffset: a wall time that does not exist (spring forward)
// takes the offset before the transition, an ambiguous one (fall back) the
// offset after it.
func offsetAt(loc *time.Location, wallUS int64) int {
	if loc == time.UTC {
		return 0
	}
	secs, _ := floorDiv(wallUS, usPerSec)
	secs += pgEpochUnix
	zoneAt := func(instant int64) int {
		_, off := time.Unix(instant, 0).In(loc).Zone()
		return off
	}
	before, after := zoneAt(secs-secPerDay), zoneAt(secs+secPerDay)
	if before == after {
		if off := zoneAt(secs - int64(before)); off == before {
			return before
		}
		// Two transitions within two days: trust the instant's own offset.
		return zoneAt(secs - int64(zoneAt(secs)))
	}
	validBefore := zoneAt(secs-int64(before)) == before
	validAfter := zoneAt(secs-int64(after)) == after
	switch {
	case validBefore && !validAfter:
		return before
	case validAfter:
		return after
	}
	return before
}

// instantMicros returns UTC microseconds for a timestamptz input, reading a
// zone-less time in defaultLoc.
func (in *dtInput) instantMicros(defaultLoc *time.Location) int64 {
	wall := in.wallMicros()
	switch {
	case in.tzSet && in.tzLoc != nil:
		return wall - int64(offsetAt(in.tzLoc, wall))*usPerSec
	case in.tzSet:
		return wall - int64(in.tzOffset)*usPerSec
	}
	return wall - int64(offsetAt(defaultLoc, wall))*usPerSec
}

// sessionNow is the current time; PostgreSQL's now() is the transaction
// start, which this package cannot know.
func sessionNow() time.Time { return time.Now() }

// midnightIn returns UTC microseconds of local midnight, days after today,
// in loc.
func midnightIn(loc *time.Location, days int) (utcUS, wallUS int64) {
	now := sessionNow().In(loc)
	_, off := now.Zone()
	wall := timeToPG(now) + int64(off)*usPerSec
	d, _ := floorDiv(wall, usPerDay)
	wallUS = (d + int64(days)) * usPerDay
	return wallUS - int64(offsetAt(loc, wallUS))*usPerSec, wallUS
}

// parseTimestamptz parses timestamptz input; zone-less times are in loc.
func (c *Codec) parseTimestamptz(t Type, s string, loc *time.Location) (int64, int, error) {
	if wall, off, hasZone, ok := parseStorageTimestamp(s); ok {
		if !hasZone {
			off = offsetAt(loc, wall)
		}
		return wall - int64(off)*usPerSec, finite, nil
	}
	in, e := c.parseDateTime(s)
	if e != dtOK {
		return 0, 0, dtErr(t, s, e)
	}
	switch in.special {
	case spInfinity:
		return 0, posInf, nil
	case spNegInfinity:
		return 0, negInf, nil
	case spEpoch:
		return -pgEpochUS, finite, nil
	case spNow:
		return timeToPG(sessionNow()), finite, nil
	case spToday, spTomorrow, spYesterday:
		utc, _ := midnightIn(loc, map[dtSpecial]int{spToday: 0, spTomorrow: 1, spYesterday: -1}[in.special])
		return utc, finite, nil
	case spAllballs:
		return 0, 0, syntaxError(t, s)
	}
	if !in.hasDate {
		return 0, 0, syntaxError(t, s)
	}
	us := in.instantMicros(loc)
	if us < minTimestampUS || us >= endTimestampUS || in.wallMicros() < minTimestampUS || in.wallMicros() >= endTimestampUS {
		return 0, 0, timestampRangeErr(s)
	}
	return us, finite, nil
}

// parseTimestamp parses timestamp input; a zone, if any, is ignored as
// PostgreSQL ignores it for timestamp without time zone.
func (c *Codec) parseTimestamp(t Type, s string) (int64, int, error) {
	if wall, _, _, ok := parseStorageTimestamp(s); ok {
		return wall, finite, nil
	}
	in, e := c.parseDateTime(s)
	if e != dtOK {
		return 0, 0, dtErr(t, s, e)
	}
	switch in.special {
	case spInfinity:
		return 0, posInf, nil
	case spNegInfinity:
		return 0, negInf, nil
	case spEpoch:
		return -pgEpochUS, finite, nil
	case spNow:
		now := sessionNow().In(c.loc)
		_, off := now.Zone()
		return timeToPG(now) + int64(off)*usPerSec, finite, nil
	case spToday, spTomorrow, spYesterday:
		_, wall := midnightIn(c.loc, map[dtSpecial]int{spToday: 0, spTomorrow: 1, spYesterday: -1}[in.special])
		return wall, finite, nil
	case spAllballs:
		return 0, 0, syntaxError(t, s)
	}
	if !in.hasDate {
		return 0, 0, syntaxError(t, s)
	}
	us := in.wallMicros()
	if us < minTimestampUS || us >= endTimestampUS {
		return 0, 0, timestampRangeErr(s)
	}
	return us, finite, nil
}

// parseDate parses date input; a time part is ignored.
func (c *Codec) parseDate(t Type, s string) (int64, int, error) {
	if days, ok := parseStorageDate(s); ok {
		return days, finite, nil
	}
	in, e := c.parseDateTime(s)
	if e != dtOK {
		return 0, 0, dtErr(t, s, e)
	}
	switch in.special {
	case spInfinity:
		return 0, posInf, nil
	case spNegInfinity:
		return 0, negInf, nil
	case spEpoch:
		return -pgEpochDays, finite, nil
	case spNow, spToday, spTomorrow, spYesterday:
		days := map[dtSpecial]int{spNow: 0, spToday: 0, spTomorrow: 1, spYesterday: -1}[in.special]
		_, wall := midnightIn(c.loc, days)
		d, _ := floorDiv(wall, usPerDay)
		return d, finite, nil
	case spAllballs:
		return 0, 0, syntaxError(t, s)
	}
	if !in.hasDate {
		return 0, 0, syntaxError(t, s)
	}
	days := daysFromCivil(int64(in.year), int64(in.month), int64(in.day))
	if days < minDateDays || days > maxDateDays {
		return 0, 0, errorf(CodeDatetimeFieldOverflow, "date out of range: \"%s\"", s)
	}
	return days, finite, nil
}

// parseTime parses time input; a date part and a zone are ignored.
func (c *Codec) parseTime(t Type, s string) (int64, error) {
	if us, ok := parseStorageTime(s); ok {
		return us, nil
	}
	in, e := c.parseDateTime(s)
	if e != dtOK {
		return 0, dtErr(t, s, e)
	}
	switch in.special {
	case spAllballs:
		return 0, nil
	case spNow:
		now := sessionNow().In(c.loc)
		_, off := now.Zone()
		_, us := floorDiv(timeToPG(now)+int64(off)*usPerSec, usPerDay)
		return us, nil
	case spNone:
	default:
		return 0, syntaxError(t, s)
	}
	if !in.hasTime {
		return 0, syntaxError(t, s)
	}
	us := int64(in.hour)*usPerHour + int64(in.min)*usPerMin + int64(in.sec)*usPerSec + in.usec
	if us > usPerDay {
		return 0, errorf(CodeDatetimeFieldOverflow, "date/time field value out of range: \"%s\"", s)
	}
	return us, nil
}

// parseStorageTime reads "HH:MM:SS[.f{1,6}]".
func parseStorageTime(s string) (int64, bool) {
	if len(s) < 8 || s[2] != ':' || s[5] != ':' {
		return 0, false
	}
	h, ok1 := digits2(s, 0)
	m, ok2 := digits2(s, 3)
	sec, ok3 := digits2(s, 6)
	if !(ok1 && ok2 && ok3) || h > 23 || m > 59 || sec > 59 {
		return 0, false
	}
	var frac int64
	i := 8
	if i < len(s) {
		if s[i] != '.' || len(s) == 9 || len(s) > 15 {
			return 0, false
		}
		n := 0
		for i++; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			frac = frac*10 + int64(s[i]-'0')
			n++
		}
		for ; n < 6; n++ {
			frac *= 10
		}
	}
	return h*usPerHour + m*usPerMin + sec*usPerSec + frac, true
}

// ---------------------------------------------------------------------------
// Stored values of any shape → temporal values.

// unixMicros converts a number of seconds since the Unix epoch.
func unixMicros(t Type, sv sval) (int64, error) {
	const minSec = -211_813_488_000 + 946_684_800  // 4714-11-24 BC
	const endSec = 9_223_371_331_200 + 946_684_800 // 294277-01-01
	if sv.k == vInt {
		if sv.i < minSec || sv.i >= endSec {
			return 0, timestampRangeErr(strconv.FormatInt(sv.i, 10))
		}
		return (sv.i - pgEpochUnix) * usPerSec, nil
	}
	if !(sv.f >= minSec && sv.f < endSec) {
		return 0, timestampRangeErr(string(appendFloat8(nil, sv.f)))
	}
	return int64(math.Round((sv.f - float64(pgEpochUnix)) * 1e6)), nil
}

// instantValue returns a stored timestamptz as UTC microseconds. Text
// without an offset is UTC (the storage convention, and what SQLite's
// CURRENT_TIMESTAMP produces); numbers are Unix seconds.
func (c *Codec) instantValue(t Type, sv sval) (int64, int, error) {
	switch sv.k {
	case vText:
		return c.parseTimestamptz(t, sv.s, time.UTC)
	case vBlob:
		return c.parseTimestamptz(t, string(sv.b), time.UTC)
	case vInt, vFloat:
		us, err := unixMicros(t, sv)
		return us, finite, err
	case vTime:
		return timeToPG(sv.t), finite, nil
	}
	return 0, 0, syntaxError(t, sv.text())
}

// wallValue returns a stored timestamp as wall-clock microseconds.
func (c *Codec) wallValue(t Type, sv sval) (int64, int, error) {
	switch sv.k {
	case vText:
		return c.parseTimestamp(t, sv.s)
	case vBlob:
		return c.parseTimestamp(t, string(sv.b))
	case vInt, vFloat:
		us, err := unixMicros(t, sv)
		return us, finite, err
	case vTime:
		_, off := sv.t.Zone()
		return timeToPG(sv.t) + int64(off)*usPerSec, finite, nil
	}
	return 0, 0, syntaxError(t, sv.text())
}

// dateValue returns a stored date as days since 1970-01-01.
func (c *Codec) dateValue(t Type, sv sval) (int64, int, error) {
	switch sv.k {
	case vText:
		return c.parseDate(t, sv.s)
	case vBlob:
		return c.parseDate(t, string(sv.b))
	case vInt, vFloat:
		us, err := unixMicros(t, sv)
		d, _ := floorDiv(us, usPerDay)
		return d, finite, err
	case vTime:
		y, m, d := sv.t.Date()
		return daysFromCivil(int64(y), int64(m), int64(d)), finite, nil
	}
	return 0, 0, syntaxError(t, sv.text())
}

// timeValue returns a stored time as microseconds since midnight; numbers
// are seconds since midnight.
func (c *Codec) timeValue(t Type, sv sval) (int64, error) {
	switch sv.k {
	case vText:
		return c.parseTime(t, sv.s)
	case vBlob:
		return c.parseTime(t, string(sv.b))
	case vInt, vFloat:
		f := float64(sv.i)
		if sv.k == vFloat {
			f = sv.f
		}
		us := math.Round(f * 1e6)
		if !(us >= 0 && us <= float64(usPerDay)) {
			return 0, errorf(CodeDatetimeFieldOverflow, "time out of range")
		}
		return int64(us), nil
	case vTime:
		h, m, s := sv.t.Clock()
		return int64(h)*usPerHour + int64(m)*usPerMin + int64(s)*usPerSec + int64(sv.t.Nanosecond()/1000), nil
	}
	return 0, syntaxError(t, sv.text())
}

// appendTimestamptzText renders UTC microseconds in the session time zone.
func (c *Codec) appendTimestamptzText(buf []byte, us int64) []byte {
	off := 0
	if c.loc != time.UTC {
		secs, _ := floorDiv(us, usPerSec)
		_, off = time.Unix(secs+pgEpochUnix, 0).In(c.loc).Zone()
	}
	return appendTimestamp(buf, us+int64(off)*usPerSec, true, off)
}
