package wire

// Temporary until pgsql.OutputHints/ParamHints land.

type outputHint struct {
	Name, Type, Column, Func string
	Star                     bool
}

func outputHints(sql string) []outputHint { return nil }

func paramHints(sql string, lookup func(table, column string) (string, bool)) map[int]string {
	return nil
}
