package forward

import (
	"errors"

	"github.com/sqlcluster/sqlcluster/engine"
)

// wireError is an *engine.Error as it travels; the underlying cause stays
// on the primary.
type wireError struct {
	Code    string
	Message string
	Detail  string
	Hint    string
}

// toWire keeps an *engine.Error's fields; any other error becomes XX000.
func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	var ee *engine.Error
	if errors.As(err, &ee) {
		return &wireError{Code: ee.Code, Message: ee.Message, Detail: ee.Detail, Hint: ee.Hint}
	}
	return &wireError{Code: "XX000", Message: err.Error()}
}

func (w *wireError) engineError() *engine.Error {
	return &engine.Error{Code: w.Code, Message: w.Message, Detail: w.Detail, Hint: w.Hint}
}

// callClass says what losing the connection during a call means for the
// caller.
type callClass uint8

const (
	classRead     callClass = iota // no effect to lose: 08006 (40001 in a transaction)
	classWrite                     // autocommit write: outcome unknown, 08007
	classCommit                    // COMMIT: outcome unknown, 08007
	classRollback                  // the server rolls back anyway: success
)

// lostError is the error for a call that was sent but whose result never
// came, nil when losing it cannot matter (ROLLBACK).
func lostError(class callClass, inTx bool, cause error) error {
	switch {
	case class == classRollback:
		return nil
	case class == classCommit && inTx:
		return &engine.Error{Code: "08007", Message: "transaction resolution unknown: connection to the primary was lost during COMMIT", Err: cause}
	case inTx:
		return TxLostError(cause)
	case class == classWrite:
		return &engine.Error{Code: "08007", Message: "transaction resolution unknown: connection to the primary was lost during a write", Err: cause}
	}
	return connLostError(cause)
}

// brokenError is the error for a call made after the connection broke:
// nothing was sent, so only an open transaction is known to be lost.
func brokenError(class callClass, inTx bool, cause error) error {
	switch {
	case class == classRollback:
		return nil
	case inTx:
		return TxLostError(cause)
	}
	return connLostError(cause)
}

// TxLostError is the error for a transaction that ended because the
// primary it ran on changed before it committed: rolled back, so a retry
// on the new primary is safe, which is what 40001 tells clients.
func TxLostError(cause error) error {
	return &engine.Error{Code: "40001", Message: "the primary changed; the transaction was rolled back, retry it", Err: cause}
}

func connLostError(cause error) error {
	return &engine.Error{Code: "08006", Message: "connection to the primary was lost", Err: cause}
}
