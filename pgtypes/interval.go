package pgtypes

import (
	"math"
	"strconv"
	"strings"
)

// interval mirrors PostgreSQL's Interval: months, days and microseconds are
// kept apart because their lengths vary (a month is not 30 days, a day is
// not 24 hours across DST).
type interval struct {
	months int32
	days   int32
	us     int64
}

// appendTo renders the interval in IntervalStyle postgres, exactly as
// EncodeInterval does ("1 year 2 mons -3 days +04:05:06.5").
func (iv interval) appendTo(buf []byte) []byte {
	years, mons := iv.months/12, iv.months%12
	isZero, isBefore := true, false
	part := func(v int64, unit string) {
		if v == 0 {
			return
		}
		if !isZero {
			buf = append(buf, ' ')
		}
		if isBefore && v > 0 {
			buf = append(buf, '+')
		}
		buf = strconv.AppendInt(buf, v, 10)
		buf = append(buf, ' ')
		buf = append(buf, unit...)
		if v != 1 {
			buf = append(buf, 's')
		}
		isBefore = v < 0
		isZero = false
	}
	part(int64(years), "year")
	part(int64(mons), "mon")
	part(int64(iv.days), "day")
	us := iv.us
	if isZero || us != 0 {
		minus := us < 0
		var mag uint64
		if minus {
			mag = uint64(-(us + 1)) + 1
		} else {
			mag = uint64(us)
		}
		if !isZero {
			buf = append(buf, ' ')
		}
		if minus {
			buf = append(buf, '-')
		} else if isBefore {
			buf = append(buf, '+')
		}
		h := mag / uint64(usPerHour)
		mag -= h * uint64(usPerHour)
		m := mag / uint64(usPerMin)
		mag -= m * uint64(usPerMin)
		s := mag / uint64(usPerSec)
		mag -= s * uint64(usPerSec)
		if h < 10 {
			buf = append(buf, '0')
		}
		buf = strconv.AppendUint(buf, h, 10)
		buf = append(buf, ':', '0'+byte(m/10), '0'+byte(m%10), ':', '0'+byte(s/10), '0'+byte(s%10))
		buf = appendFraction(buf, int64(mag))
	}
	return buf
}

func (iv interval) String() string { return string(iv.appendTo(nil)) }

// round applies the precision of an interval(p) typmod to the seconds, half
// away from zero, as AdjustIntervalForTypmod does. Field restrictions
// (INTERVAL YEAR TO MONTH ...) are not applied.
func (iv interval) round(mod int32) interval {
	if mod < 0 {
		return iv
	}
	p := mod & 0xffff
	if p >= 6 {
		return iv
	}
	scale := pow10us[p]
	if iv.us >= 0 {
		iv.us = (iv.us + scale/2) / scale * scale
	} else {
		iv.us = -((-iv.us + scale/2) / scale * scale)
	}
	return iv
}

// intervalUnits maps unit words to a kind; the value is scaled in add.
var intervalUnits = map[string]string{
	"microsecond": "us", "microseconds": "us", "usec": "us", "usecs": "us", "us": "us",
	"millisecond": "ms", "milliseconds": "ms", "msec": "ms", "msecs": "ms", "ms": "ms",
	"second": "s", "seconds": "s", "sec": "s", "secs": "s", "s": "s",
	"minute": "min", "minutes": "min", "min": "min", "mins": "min", "m": "min",
	"hour": "h", "hours": "h", "hr": "h", "hrs": "h", "h": "h",
	"day": "d", "days": "d", "d": "d",
	"week": "w", "weeks": "w", "w": "w",
	"month": "mon", "months": "mon", "mon": "mon", "mons": "mon",
	"year": "y", "years": "y", "yr": "y", "yrs": "y", "y": "y",
	"decade": "dec", "decades": "dec", "dec": "dec", "decs": "dec",
	"century": "c", "centuries": "c", "cent": "c", "c": "c",
	"millennium": "mil", "millennia": "mil", "millenniums": "mil", "mil": "mil", "mils": "mil",
}

// intervalAcc accumulates fields like PostgreSQL's itm: fractions of larger
// units cascade into smaller ones (1.5 months = 1 mon 15 days).
type intervalAcc struct {
	months, days int64
	us           float64 // fractional microseconds are rounded at the end
	usInt        int64
	overflow     bool
}

func (a *intervalAcc) add(v float64, unit string) {
	if math.Abs(v) > 1e13 {
		// Beyond any field's range once scaled; avoids float→int
		// conversions of huge values.
		a.overflow = true
		return
	}
	whole, frac := math.Modf(v)
	switch unit {
	case "us":
		a.us += v
	case "ms":
		a.us += v * 1000
	case "s":
		a.us += v * 1e6
	case "min":
		a.us += v * 60e6
	case "h":
		a.us += v * 3600e6
	case "d":
		a.days += int64(whole)
		a.us += frac * float64(usPerDay)
	case "w":
		a.addDays(v * 7)
	case "mon":
		a.months += int64(whole)
		a.addDays(frac * 30)
	case "y", "dec", "c", "mil":
		mult := map[string]float64{"y": 1, "dec": 10, "c": 100, "mil": 1000}[unit]
		y := v * mult
		yw, yf := math.Modf(y)
		a.months += int64(yw)*12 + int64(math.RoundToEven(yf*12))
	}
}

func (a *intervalAcc) addDays(d float64) {
	w, f := math.Modf(d)
	a.days += int64(w)
	a.us += f * float64(usPerDay)
}

// parseInterval decodes interval input: PostgreSQL's own output, verbose
// ("1 year 2 months", "@ 3 days ago"), bare numbers (seconds), times
// ("-01:30", "1 12:00:00"), SQL year-month ("1-2") and ISO 8601 designators
// ("P1Y2M3DT4H5M6S").
func parseInterval(s string) (interval, dtError) {
	t := strings.TrimSpace(s)
	if t == "" {
		return interval{}, dtSyntax
	}
	if t[0] == 'P' || t[0] == 'p' {
		return parseISOInterval(t[1:])
	}
	fields := strings.Fields(strings.ToLower(t))
	if len(fields) > 0 && fields[0] == "@" {
		fields = fields[1:]
	} else if len(fields) > 0 && strings.HasPrefix(fields[0], "@") {
		fields[0] = fields[0][1:]
	}
	var acc intervalAcc
	ago := false
	seen := false
	// Each field may be given once, as in DecodeInterval ("1 day 1 day"
	// is an error); a time token covers hours, minutes and seconds.
	used := map[string]bool{}
	use := func(units ...string) bool {
		for _, u := range units {
			if used[u] {
				return false
			}
			used[u] = true
		}
		return true
	}
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if f == "ago" {
			if i != len(fields)-1 {
				return interval{}, dtSyntax
			}
			ago = true
			continue
		}
		// A number glued to its unit: "10days", "1h".
		num, unit := splitNumberUnit(f)
		switch {
		case strings.IndexByte(num, ':') >= 0:
			us, ok := parseIntervalTime(num)
			if !ok || !use("h", "min", "s") {
				return interval{}, dtSyntax
			}
			acc.usInt += us
		case strings.Count(num, "-") == 1 && num[0] != '-' && unit == "" || strings.Count(num, "-") == 2 && num[0] == '-' && unit == "":
			// SQL year-month literal "1-2", "-1-2".
			neg := num[0] == '-'
			parts := strings.SplitN(strings.TrimPrefix(num, "-"), "-", 2)
			y, err1 := strconv.ParseInt(parts[0], 10, 32)
			m, err2 := strconv.ParseInt(parts[1], 10, 32)
			if err1 != nil || err2 != nil || m > 11 {
				return interval{}, dtSyntax
			}
			months := y*12 + m
			if neg {
				months = -months
			}
			acc.months += months
		default:
			v, err := strconv.ParseFloat(num, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return interval{}, dtSyntax
			}
			if unit == "" && i+1 < len(fields) {
				if u, ok := intervalUnits[fields[i+1]]; ok {
					unit = u
					i++
				} else if strings.IndexByte(fields[i+1], ':') >= 0 {
					unit = "d" // "1 12:00:00": a number before a time is days
				}
			} else if unit != "" {
				u, ok := intervalUnits[unit]
				if !ok {
					return interval{}, dtSyntax
				}
				unit = u
			}
			if unit == "" {
				unit = "s"
			}
			if !use(unit) {
				return interval{}, dtSyntax
			}
			acc.add(v, unit)
		}
		seen = true
	}
	if !seen {
		return interval{}, dtSyntax
	}
	return acc.finish(ago)
}

func (a *intervalAcc) finish(ago bool) (interval, dtError) {
	us := float64(a.usInt) + math.RoundToEven(a.us)
	if a.overflow || math.Abs(us) >= 9.223372036854775807e18 || a.months > math.MaxInt32 || a.months < math.MinInt32 || a.days > math.MaxInt32 || a.days < math.MinInt32 {
		return interval{}, dtRange
	}
	iv := interval{months: int32(a.months), days: int32(a.days), us: a.usInt + int64(math.RoundToEven(a.us))}
	if ago {
		iv.months, iv.days, iv.us = -iv.months, -iv.days, -iv.us
	}
	return iv, dtOK
}

// splitNumberUnit splits "10days" into ("10", "days"); "10" gives ("10", "").
func splitNumberUnit(f string) (string, string) {
	i := 0
	for i < len(f) && (f[i] >= '0' && f[i] <= '9' || f[i] == '.' || f[i] == '+' || f[i] == '-' || f[i] == ':') {
		i++
	}
	if i == 0 {
		return f, ""
	}
	return f[:i], f[i:]
}

// parseIntervalTime parses [-]H:MM[:SS[.frac]] with an unbounded hour.
func parseIntervalTime(s string) (int64, bool) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg = true
		s = s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	h, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || parts[0] == "" || !isDigits(parts[0]) {
		return 0, false
	}
	m, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || !isDigits(parts[1]) || m > 59 {
		return 0, false
	}
	us := h*usPerHour + m*usPerMin
	if len(parts) == 3 {
		sec, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || sec >= 60 || sec < 0 || parts[2] == "" || parts[2][0] < '0' || parts[2][0] > '9' {
			return 0, false
		}
		us += int64(math.RoundToEven(sec * 1e6))
	}
	if neg {
		us = -us
	}
	return us, true
}

// parseISOInterval parses the part after "P" of an ISO 8601 duration with
// designators: nY nM nW nD T nH nM nS (fractions allowed, signs allowed).
func parseISOInterval(s string) (interval, dtError) {
	var acc intervalAcc
	inTime := false
	if s == "" {
		return interval{}, dtSyntax
	}
	for s != "" {
		if s[0] == 'T' || s[0] == 't' {
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.' || s[i] == '-' || s[i] == '+') {
			i++
		}
		if i == 0 || i == len(s) {
			return interval{}, dtSyntax
		}
		v, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return interval{}, dtSyntax
		}
		var unit string
		switch d := s[i] | 0x20; {
		case !inTime && d == 'y':
			unit = "y"
		case !inTime && d == 'm':
			unit = "mon"
		case !inTime && d == 'w':
			unit = "w"
		case !inTime && d == 'd':
			unit = "d"
		case inTime && d == 'h':
			unit = "h"
		case inTime && d == 'm':
			unit = "min"
		case inTime && d == 's':
			unit = "s"
		default:
			return interval{}, dtSyntax
		}
		acc.add(v, unit)
		s = s[i+1:]
	}
	return acc.finish(false)
}

// intervalValue returns a stored interval. Numbers are seconds.
func intervalValue(t Type, sv sval) (interval, error) {
	var s string
	switch sv.k {
	case vText:
		s = sv.s
	case vBlob:
		s = string(sv.b)
	case vInt:
		if sv.i > math.MaxInt64/usPerSec || sv.i < math.MinInt64/usPerSec {
			return interval{}, errorf(CodeIntervalFieldOverflow, "interval out of range")
		}
		return interval{us: sv.i * usPerSec}, nil
	case vFloat:
		if math.IsNaN(sv.f) || math.Abs(sv.f) > 9.2e12 {
			return interval{}, errorf(CodeIntervalFieldOverflow, "interval out of range")
		}
		return interval{us: int64(math.Round(sv.f * 1e6))}.round(t.Modifier), nil
	default:
		return interval{}, syntaxError(t, sv.text())
	}
	iv, e := parseInterval(s)
	iv = iv.round(t.Modifier)
	if e != dtOK {
		if e == dtRange {
			return interval{}, errorf(CodeIntervalFieldOverflow, "interval field value out of range: \"%s\"", s)
		}
		return interval{}, syntaxError(t, s)
	}
	return iv, nil
}
