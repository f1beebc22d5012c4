package wire

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/jackc/pgproto3/v2"
)

// Protocol codes carried in the first (untyped) message of a connection.
const (
	protocolV3       = 196608 // 3.0
	sslRequestCode   = 80877103
	gssEncRequest    = 80877104
	cancelRequestCod = 80877102
)

// frame is one frontend message: its type byte and a body that belongs to
// the frame alone (decoded messages may alias it safely).
type frame struct {
	typ  byte
	body []byte
}

// protocolError is a malformed or oversized message: the connection gets an
// ErrorResponse and is closed, as PostgreSQL does.
type protocolError struct {
	code, msg string
}

func (e *protocolError) Error() string    { return e.msg }
func (e *protocolError) SQLState() string { return e.code }

// readStartup reads the length-prefixed first message of a connection.
func readStartup(r io.Reader, max int) (code uint32, body []byte, err error) {
	var hdr [8]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:4]))
	if n < 8 || n > max || n > 10000+8 {
		return 0, nil, &protocolError{"08P01", fmt.Sprintf("invalid length of startup packet: %d", n)}
	}
	code = binary.BigEndian.Uint32(hdr[4:])
	body = make([]byte, n-4)
	binary.BigEndian.PutUint32(body, code)
	if _, err := io.ReadFull(r, body[4:]); err != nil {
		return 0, nil, err
	}
	return code, body, nil
}

// readFrame reads one typed message, refusing bodies larger than max before
// allocating them.
func readFrame(r *bufio.Reader, max int) (frame, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, err
	}
	n := int(int32(binary.BigEndian.Uint32(hdr[1:])))
	if n < 4 {
		return frame{}, &protocolError{"08P01", fmt.Sprintf("invalid message length %d for message type %q", n, hdr[0])}
	}
	if n-4 > max {
		return frame{}, &protocolError{"54000", fmt.Sprintf("message of type %q is %d bytes, larger than the server's limit of %d bytes (--max-message-size)", hdr[0], n-4, max)}
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return frame{}, err
	}
	return frame{typ: hdr[0], body: body}, nil
}

// decodeFrontend turns a frame into a pgproto3 message. Authentication
// responses ('p') are decoded by the auth code, which knows which kind to
// expect.
func decodeFrontend(f frame) (m pgproto3.FrontendMessage, err error) {
	// pgproto3's decoders trust length fields inside the body; a malformed
	// message must be a protocol error, not a crash.
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, &protocolError{"08P01", fmt.Sprintf("malformed message of type %q", f.typ)}
		}
	}()
	switch f.typ {
	case 'Q':
		m = &pgproto3.Query{}
	case 'P':
		m = &pgproto3.Parse{}
	case 'B':
		m = &pgproto3.Bind{}
	case 'E':
		m = &pgproto3.Execute{}
	case 'D':
		m = &pgproto3.Describe{}
	case 'C':
		m = &pgproto3.Close{}
	case 'S':
		m = &pgproto3.Sync{}
	case 'H':
		m = &pgproto3.Flush{}
	case 'X':
		m = &pgproto3.Terminate{}
	case 'd':
		m = &pgproto3.CopyData{}
	case 'c':
		m = &pgproto3.CopyDone{}
	case 'f':
		m = &pgproto3.CopyFail{}
	case 'F':
		return nil, &protocolError{"0A000", "the fastpath function call protocol is not supported"}
	case 'p':
		m = &pgproto3.PasswordMessage{}
	default:
		return nil, &protocolError{"08P01", fmt.Sprintf("invalid frontend message type %d", f.typ)}
	}
	if err := m.Decode(f.body); err != nil {
		return nil, &protocolError{"08P01", fmt.Sprintf("malformed %T message: %v", m, err)}
	}
	return m, nil
}
