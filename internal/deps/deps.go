package deps
import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/jackc/pgproto3/v2"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/lib/pq"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/urfave/cli/v2"
	_ "github.com/xdg-go/scram"
	_ "modernc.org/sqlite"
)
