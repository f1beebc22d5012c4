package catalog

import (
	"database/sql/driver"
	"fmt"
	"math"
	"strconv"
	"strings"

	"modernc.org/sqlite"
)

// sqlFunc is one SQL function this package installs.
type sqlFunc struct {
	name string
	// nargs is the exact argument count, or -1 for functions that accept a
	// range (minArgs..maxArgs). SQLite allows one registration per name on a
	// modernc driver, so overloaded PostgreSQL functions are variadic here.
	nargs            int32
	minArgs, maxArgs int
	deterministic    bool
	fn               func(c *call) (driver.Value, error)
}

// call is one invocation: its arguments and the connection context.
type call struct {
	r    *registry
	fc   *sqlite.FunctionContext
	args []driver.Value
}

// Register installs the PostgreSQL-compatible SQL functions on d. Call it
// once per driver, before the driver opens connections; the functions reach
// per-connection state through Attach's registration, so every connection d
// opens should be passed to Attach.
func Register(d *sqlite.Driver) error {
	if d == nil {
		return fmt.Errorf("catalog: nil driver")
	}
	if err := checkFunctionContextLayout(); err != nil {
		return err
	}
	r := newRegistry()
	for _, f := range allFunctions() {
		f := f
		impl := &sqlite.FunctionImpl{NArgs: f.nargs, Deterministic: f.deterministic}
		impl.Scalar = func(fc *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			if f.nargs < 0 && (len(args) < f.minArgs || len(args) > f.maxArgs) {
				return nil, errorf(codeUndefinedFunction, "function %s with %d arguments does not exist", f.name, len(args))
			}
			return f.fn(&call{r: r, fc: fc, args: args})
		}
		if err := d.RegisterFunction(f.name, impl); err != nil {
			return fmt.Errorf("catalog: register %s: %w", f.name, err)
		}
	}
	return nil
}

func fixed(name string, n int32, det bool, fn func(*call) (driver.Value, error)) sqlFunc {
	return sqlFunc{name: name, nargs: n, minArgs: int(n), maxArgs: int(n), deterministic: det, fn: fn}
}

func ranged(name string, min, max int, det bool, fn func(*call) (driver.Value, error)) sqlFunc {
	return sqlFunc{name: name, nargs: -1, minArgs: min, maxArgs: max, deterministic: det, fn: fn}
}

// allFunctions lists every function Register installs.
func allFunctions() []sqlFunc {
	fs := []sqlFunc{
		// Registry plumbing (attach.go).
		fixed(fnLoad, 1, false, fnLoadImpl),
		fixed(fnUnload, 0, false, fnUnloadImpl),
		fixed(fnSetTime, 1, false, fnSetTimeImpl),
		fixed(fnTemplate, 1, false, fnTemplateImpl),
	}
	fs = append(fs, matchFunctions()...)
	fs = append(fs, castFunctions()...)
	fs = append(fs, catalogFunctions()...)
	fs = append(fs, textFunctions()...)
	fs = append(fs, arrayFunctions()...)
	fs = append(fs, timeFunctions()...)
	return fs
}

func fnLoadImpl(c *call) (driver.Value, error) {
	s, _ := argText(c.args[0])
	return nil, c.r.load(c.fc, s)
}

func fnUnloadImpl(c *call) (driver.Value, error) {
	c.r.unload(c.fc)
	return nil, nil
}

func fnSetTimeImpl(c *call) (driver.Value, error) {
	st := c.r.state(c.fc)
	if st == nil {
		return nil, fmt.Errorf("catalog: connection not attached")
	}
	n, ok, err := argInt(c.args[0])
	if err != nil {
		return nil, err
	}
	if !ok {
		n = 0
	}
	st.txTime.Store(n)
	return nil, nil
}

// argText converts an argument to text as PostgreSQL's implicit cast to
// text would; ok is false for NULL.
func argText(v driver.Value) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case []byte:
		return string(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return formatFloat8(x), true
	case bool:
		if x {
			return "true", true
		}
		return "false", true
	default:
		return fmt.Sprint(x), true
	}
}

// argInt converts an argument to an integer; ok is false for NULL.
func argInt(v driver.Value) (int64, bool, error) {
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case int64:
		return x, true, nil
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
			return int64(math.Round(x)), true, nil
		}
		return int64(x), true, nil
	case bool:
		if x {
			return 1, true, nil
		}
		return 0, true, nil
	}
	s, _ := argText(v)
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0, false, errorf(codeInvalidText, "invalid input syntax for type integer: \"%s\"", s)
	}
	return n, true, nil
}

// argOID converts an OID argument (integer or its text form).
func argOID(v driver.Value) (uint32, bool, error) {
	n, ok, err := argInt(v)
	if err != nil || !ok {
		if err != nil {
			s, _ := argText(v)
			return 0, false, errorf(codeInvalidText, "invalid input syntax for type oid: \"%s\"", s)
		}
		return 0, false, nil
	}
	if n < 0 {
		n += 1 << 32 // PostgreSQL accepts negative OIDs as their unsigned value
	}
	if n < 0 || n > math.MaxUint32 {
		return 0, false, errorf(codeNumericOutOfRange, "value \"%d\" is out of range for type oid", n)
	}
	return uint32(n), true, nil
}

// argBool converts a boolean argument (SQLite integers, PostgreSQL text).
func argBool(v driver.Value) (bool, bool) {
	switch x := v.(type) {
	case nil:
		return false, false
	case int64:
		return x != 0, true
	case float64:
		return x != 0, true
	case bool:
		return x, true
	}
	s, _ := argText(v)
	b, err := parseBool(s)
	if err != nil {
		return false, false
	}
	return b, true
}

func boolValue(b bool) driver.Value {
	if b {
		return int64(1)
	}
	return int64(0)
}

// formatFloat8 prints a float the way PostgreSQL's float8out does with
// extra_float_digits >= 1: shortest round-trip digits.
func formatFloat8(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	// PostgreSQL writes exponents with at least two digits: 1e+20, 1e-05.
	if i := strings.IndexAny(s, "e"); i >= 0 {
		mant, exp := s[:i], s[i+1:]
		sign := exp[0]
		digits := exp[1:]
		if len(digits) < 2 {
			digits = "0" + digits
		}
		s = mant + "e" + string(sign) + digits
	}
	return s
}
