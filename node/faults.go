package node

import (
	"fmt"
	"os"
	"strings"
)

// faults are bugs the fault-injection suite seeds on purpose, to prove
// that its checkers catch them: a checker is only trusted after it failed
// a run with the bug it is meant to find. They are switched on by the
// environment variable SQLCLUSTER_TEST_FAULT (comma-separated names),
// never by a flag, and the server logs loudly when one is on.
type faults struct {
	// staleReads: replicas serve every read locally, ignoring
	// sqlcluster.read_consistency ('primary' and read-your-writes).
	staleReads bool
	// ackBeforeReplication: the primary acknowledges commits without
	// waiting for any replica (whatever --sync-replicas says).
	ackBeforeReplication bool
	// skipEpochCheck: epochs stop being fencing tokens. A new primary
	// stamps its commits with the epoch before the one it won (the epoch
	// its predecessor wrote in), and replicas accept a stream from any
	// primary, however old its epoch, and never stop one for a newer
	// epoch. A deposed primary's last commits and its successor's first
	// ones then share (epoch, txid): the commit record's checker
	// (commitrecord.go) must see it.
	skipEpochCheck bool
}

const faultEnv = "SQLCLUSTER_TEST_FAULT"

func faultsFromEnv() (faults, error) {
	var f faults
	for _, name := range strings.Split(os.Getenv(faultEnv), ",") {
		switch strings.TrimSpace(name) {
		case "":
		case "stale-reads":
			f.staleReads = true
		case "ack-before-replication":
			f.ackBeforeReplication = true
		case "skip-epoch-check":
			f.skipEpochCheck = true
		default:
			return f, fmt.Errorf("unknown %s %q: use stale-reads, ack-before-replication or skip-epoch-check", faultEnv, name)
		}
	}
	return f, nil
}

func (f faults) any() bool { return f.staleReads || f.ackBeforeReplication || f.skipEpochCheck }
