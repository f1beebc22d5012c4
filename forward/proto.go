package forward

import (
	"net"
	"time"

	"github.com/sqlcluster/sqlcluster/engine"
)

type msgType uint8

const (
	// Client to server; each has exactly one result unless noted.
	msgOpen msgType = iota + 1
	msgDescribe
	msgQuery
	msgFetch
	msgCloseRows // no result
	msgBegin
	msgCommit
	msgRollback
	msgSavepoint
	msgRelease
	msgRollbackTo
	msgColumnType
	msgClose
	msgCancel  // no result: interrupt request ID if it is running or queued
	msgPing    // no result: the client is alive
	msgSetting // answer to msgSettingReq

	// Server to client.
	msgResult
	msgHeartbeat  // the call is still running
	msgSettingReq // the running call needs setting Name
)

// request is every client-to-server message; fields unused by a type stay
// zero and cost nothing in gob.
type request struct {
	Type     msgType
	ID       uint64
	Database string // msgOpen
	User     string // msgOpen
	Query    string
	Args     []byte // encoded values
	NArgs    int
	Stmt     engine.StmtOptions
	Tx       engine.TxOptions
	Name     string // savepoint, table (msgColumnType), setting (msgSetting)
	Column   string
	Cursor   uint64
	Settings []setting // values of known settings, for catalog statements
	Seq      uint64    // msgSetting: the msgSettingReq answered
	Value    string    // msgSetting
	OK       bool      // msgSetting
}

type setting struct {
	Name  string
	Value string
	OK    bool
}

// reply is every server-to-client message.
type reply struct {
	Type     msgType
	ID       uint64
	Err      *wireError
	InTx     bool
	Position uint64
	Desc     *engine.Description
	Columns  []engine.Column
	Cursor   uint64 // nonzero while the server holds more rows
	NRows    int
	Rows     []byte     // NRows × len(Columns) encoded values
	RowsErr  *wireError // error that ended the rows after those in Rows
	Affected int64      // valid once Cursor is zero
	Decl     string     // msgColumnType
	OK       bool       // msgColumnType
	Name     string     // msgSettingReq
	Seq      uint64     // msgSettingReq
}

// Defaults for the heartbeat settings of both sides.
const (
	DefaultHeartbeatInterval = time.Second
	DefaultHeartbeatTimeout  = 10 * time.Second
)

// Batch limits: a batch ends at whichever comes first.
const (
	defaultBatchRows  = 512
	defaultBatchBytes = 256 << 10
)

// keepAlive makes the kernel notice a vanished host; the heartbeats cover
// a frozen process.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 3}

// setKeepAlive enables TCP keepalive on c when it is (or wraps) a TCP
// connection.
func setKeepAlive(c net.Conn) {
	for range 4 {
		switch x := c.(type) {
		case *net.TCPConn:
			x.SetKeepAliveConfig(keepAlive)
			return
		case interface{ NetConn() net.Conn }:
			c = x.NetConn()
		default:
			return
		}
	}
}
