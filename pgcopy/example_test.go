package pgcopy_test

import (
	"fmt"

	"github.com/sqlcluster/sqlcluster/pgcopy"
)

// The wire layer's COPY FROM STDIN loop: Write each CopyData payload and
// drain Next; at CopyDone, Finish and drain once more.
func ExampleDecoder() {
	opts, err := pgcopy.ParseOptions(pgcopy.From, []pgcopy.Option{
		{Name: "format", Kind: pgcopy.ArgString, Value: "csv"},
		{Name: "header", Kind: pgcopy.ArgNone},
	})
	if err != nil {
		panic(err)
	}
	d := pgcopy.NewDecoder(opts, 2)
	d.SetColumnNames([]string{"id", "note"})

	drain := func() error {
		for {
			row, ok, err := d.Next()
			if err != nil || !ok {
				return err
			}
			for i, f := range row {
				if f == nil {
					fmt.Printf("%d:NULL ", i)
				} else {
					fmt.Printf("%d:%q ", i, f)
				}
			}
			fmt.Printf("(line %d)\n", d.Line())
		}
	}
	// Rows may span CopyData messages.
	for _, payload := range []string{"id,note\n1,\"multi", "\nline\"\n2,", "\n3,\"\""} {
		if err := d.Write([]byte(payload)); err != nil {
			panic(err)
		}
		if err := drain(); err != nil {
			panic(err)
		}
	}
	if err := d.Finish(); err != nil {
		panic(err)
	}
	if err := drain(); err != nil {
		panic(err)
	}
	// Output:
	// 0:"1" 1:"multi\nline" (line 3)
	// 0:"2" 1:NULL (line 4)
	// 0:"3" 1:"" (line 5)
}

// A bad row yields an *Error carrying the SQLSTATE, message and the
// context PostgreSQL would send.
func ExampleError() {
	d := pgcopy.NewDecoder(pgcopy.Options{}, 2)
	d.SetColumnNames([]string{"a", "b"})
	_ = d.Write([]byte("1\t2\n3\n"))
	_ = d.Finish()
	for {
		_, ok, err := d.Next()
		if e, isCopyErr := err.(*pgcopy.Error); isCopyErr {
			fmt.Println(e.Code, e.Message)
			fmt.Println(e.Context("t"))
			return
		}
		if !ok {
			return
		}
	}
	// Output:
	// 22P04 missing data for column "b"
	// COPY t, line 2: "3"
}

// COPY TO STDOUT: Header, one Row per result row, Trailer, each appending
// to a buffer that becomes CopyData payloads.
func ExampleEncoder() {
	e := pgcopy.NewEncoder(pgcopy.Options{Format: pgcopy.CSV, Header: true})
	buf := e.Header(nil, []string{"id", "note"})
	buf = e.Row(buf, [][]byte{[]byte("1"), []byte(`say "hi", bye`)})
	buf = e.Row(buf, [][]byte{[]byte("2"), nil})
	buf = e.Trailer(buf)
	fmt.Print(string(buf))
	// Output:
	// id,note
	// 1,"say ""hi"", bye"
	// 2,
}
