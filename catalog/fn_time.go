package catalog

import (
	"database/sql/driver"
	"math"
	"strings"
	"time"

	"github.com/sqlcluster/sqlcluster/pgtypes"
)

// Date/time functions. Values use the server's storage forms (pgtypes):
// timestamptz as UTC "YYYY-MM-DD HH:MM:SS[.ffffff]+00:00", timestamp
// without the offset, date as "YYYY-MM-DD".

func timeFunctions() []sqlFunc {
	return []sqlFunc{
		fixed("now", 0, false, fnNow),
		fixed("transaction_timestamp", 0, false, fnNow),
		fixed("statement_timestamp", 0, false, fnNow),
		fixed("pg_clock_timestamp", 0, false, fnClock),
		fixed("clock_timestamp", 0, false, fnClock),
		ranged("date_trunc", 2, 3, false, fnDateTrunc),
		fixed("date_part", 2, false, fnDatePart),
	}
}

// storageTimestamptz formats an instant in the timestamptz storage form.
func storageTimestamptz(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.999999") + "+00:00"
}

func storageTimestamp(t time.Time) string {
	return t.Format("2006-01-02 15:04:05.999999")
}

// fnNow is now()/transaction_timestamp(): the time the engine fixed for the
// open transaction (SetTransactionTime), else the clock.
func fnNow(c *call) (driver.Value, error) {
	if st := c.r.state(c.fc); st != nil {
		if n := st.txTime.Load(); n != 0 && inTransaction(c.fc) {
			return storageTimestamptz(time.Unix(0, n)), nil
		}
	}
	return storageTimestamptz(time.Now()), nil
}

func fnClock(*call) (driver.Value, error) {
	return storageTimestamptz(time.Now()), nil
}

// parsedTime is a date/time value read back from storage form.
type parsedTime struct {
	t      time.Time
	zoned  bool // timestamptz
	dateOK bool // a bare date
}

var zonedLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07", "2006-01-02T15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999Z0700",
}

var wallLayouts = []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04"}

func parseStoredTime(s string) (parsedTime, bool) {
	s = strings.TrimSpace(s)
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return parsedTime{t: t, zoned: true}, true
		}
	}
	for _, l := range wallLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return parsedTime{t: t}, true
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return parsedTime{t: t, dateOK: true}, true
	}
	if t, err := time.Parse("15:04:05.999999999", s); err == nil {
		return parsedTime{t: t}, true
	}
	return parsedTime{}, false
}

// sessionLocation is the TimeZone setting of the calling session.
// It comes from the connection's pgtypes codec, which understands every
// spelling SET TimeZone accepts.
func (c *call) sessionLocation() *time.Location {
	loc, err := c.r.codec(c.fc, func(codec *pgtypes.Codec) (any, error) { return codec.Location(), nil })
	if l, ok := loc.(*time.Location); ok && err == nil && l != nil {
		return l
	}
	return time.UTC
}

func fnDateTrunc(c *call) (driver.Value, error) {
	field, ok1 := argText(c.args[0])
	src, ok2 := argText(c.args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	pt, ok := parseStoredTime(src)
	if !ok {
		return nil, errorf(codeInvalidDatetime, "invalid input syntax for type timestamp with time zone: \"%s\"", src)
	}
	loc := c.sessionLocation()
	if len(c.args) > 2 {
		if z, ok := argText(c.args[2]); ok {
			if l, err := time.LoadLocation(z); err == nil {
				loc = l
			} else {
				return nil, errorf(codeInvalidParameter, "time zone \"%s\" not recognized", z)
			}
		}
	}
	t := pt.t
	if pt.zoned {
		t = t.In(loc)
	}
	tt, err := truncTime(t, strings.ToLower(field))
	if err != nil {
		return nil, err
	}
	if pt.zoned {
		return storageTimestamptz(tt), nil
	}
	return storageTimestamp(tt), nil
}

func truncTime(t time.Time, field string) (time.Time, error) {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	ns := t.Nanosecond()
	loc := t.Location()
	switch field {
	case "microseconds", "microsecond":
		return time.Date(y, mo, d, h, mi, s, ns/1000*1000, loc), nil
	case "milliseconds", "millisecond":
		return time.Date(y, mo, d, h, mi, s, ns/1e6*1e6, loc), nil
	case "second", "seconds":
		return time.Date(y, mo, d, h, mi, s, 0, loc), nil
	case "minute", "minutes":
		return time.Date(y, mo, d, h, mi, 0, 0, loc), nil
	case "hour", "hours":
		return time.Date(y, mo, d, h, 0, 0, 0, loc), nil
	case "day", "days":
		return time.Date(y, mo, d, 0, 0, 0, 0, loc), nil
	case "week", "weeks":
		wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
		return time.Date(y, mo, d-wd, 0, 0, 0, 0, loc), nil
	case "month", "months":
		return time.Date(y, mo, 1, 0, 0, 0, 0, loc), nil
	case "quarter":
		return time.Date(y, ((mo-1)/3)*3+1, 1, 0, 0, 0, 0, loc), nil
	case "year", "years":
		return time.Date(y, 1, 1, 0, 0, 0, 0, loc), nil
	case "decade", "decades":
		return time.Date(y-y%10, 1, 1, 0, 0, 0, 0, loc), nil
	case "century", "centuries":
		return time.Date((y-1)/100*100+1, 1, 1, 0, 0, 0, 0, loc), nil
	case "millennium", "millennia":
		return time.Date((y-1)/1000*1000+1, 1, 1, 0, 0, 0, 0, loc), nil
	}
	return t, errorf(codeInvalidParameter, "unit \"%s\" not recognized for type timestamp with time zone", field)
}

func fnDatePart(c *call) (driver.Value, error) {
	field, ok1 := argText(c.args[0])
	src, ok2 := argText(c.args[1])
	if !ok1 || !ok2 {
		return nil, nil
	}
	pt, ok := parseStoredTime(src)
	if !ok {
		return nil, errorf(codeInvalidDatetime, "invalid input syntax for type timestamp with time zone: \"%s\"", src)
	}
	t := pt.t
	if pt.zoned {
		t = t.In(c.sessionLocation())
	}
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	us := float64(t.Nanosecond() / 1000)
	switch strings.ToLower(field) {
	case "epoch":
		if pt.zoned {
			return float64(pt.t.UnixMicro()) / 1e6, nil
		}
		wall := time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
		return float64(wall.UnixMicro()) / 1e6, nil
	case "year", "years":
		return float64(y), nil
	case "month", "months":
		return float64(mo), nil
	case "day", "days":
		return float64(d), nil
	case "hour", "hours":
		return float64(h), nil
	case "minute", "minutes":
		return float64(mi), nil
	case "second", "seconds":
		return float64(s) + us/1e6, nil
	case "milliseconds", "millisecond":
		return float64(s)*1000 + us/1000, nil
	case "microseconds", "microsecond":
		return float64(s)*1e6 + us, nil
	case "dow":
		return float64(t.Weekday()), nil
	case "isodow":
		return float64((int(t.Weekday())+6)%7 + 1), nil
	case "doy":
		return float64(t.YearDay()), nil
	case "week":
		_, w := t.ISOWeek()
		return float64(w), nil
	case "isoyear":
		iy, _ := t.ISOWeek()
		return float64(iy), nil
	case "quarter":
		return float64((int(mo)-1)/3 + 1), nil
	case "decade":
		return math.Floor(float64(y) / 10), nil
	case "century":
		if y > 0 {
			return float64((y + 99) / 100), nil
		}
		return -float64((99 - y) / 100), nil
	case "millennium":
		if y > 0 {
			return float64((y + 999) / 1000), nil
		}
		return -float64((999 - y) / 1000), nil
	case "timezone":
		_, off := t.Zone()
		return float64(off), nil
	case "timezone_hour":
		_, off := t.Zone()
		return float64(off / 3600), nil
	case "timezone_minute":
		_, off := t.Zone()
		return float64(off % 3600 / 60), nil
	}
	return nil, errorf(codeInvalidParameter, "unit \"%s\" not recognized for type timestamp with time zone", field)
}
