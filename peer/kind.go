package peer

import "fmt"

// Kind names the service a connection is for. It is sent in the hello, and
// the accepting Transport routes the connection to the Handler registered
// for it.
type Kind uint8

const (
	KindStream   Kind = 1 // WAL frame stream, replica -> primary
	KindSnapshot Kind = 2 // database snapshot transfer
	KindSession  Kind = 3 // forwarded client session
	KindVote     Kind = 4 // election RPC
	KindControl  Kind = 5 // admin RPC between nodes (membership, transfer)
)

func (k Kind) String() string {
	switch k {
	case KindStream:
		return "stream"
	case KindSnapshot:
		return "snapshot"
	case KindSession:
		return "session"
	case KindVote:
		return "vote"
	case KindControl:
		return "control"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}
