package wire

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgproto3/v2"
	"github.com/xdg-go/scram"
)

// scramIterations matches PostgreSQL's default scram_iterations.
const scramIterations = 4096

// authenticate runs the configured authentication exchange. With no
// password configured every user is trusted, as with pg_hba "trust".
func (c *clientConn) authenticate() error {
	pw := c.srv.cfg.Password
	if pw == "" {
		return nil
	}
	var err error
	switch c.srv.cfg.AuthMethod {
	case "md5":
		err = c.authMD5(pw)
	case "password":
		err = c.authCleartext(pw)
	default:
		err = c.authSCRAM(pw)
	}
	if err != nil {
		if _, ok := err.(*protocolError); ok || !isDisconnect(err) {
			c.srv.cfg.Metrics.authFailures.Inc()
			return c.fatal(err)
		}
		return err
	}
	return nil
}

func authFailed(user string) error {
	return &protocolError{"28P01", fmt.Sprintf("password authentication failed for user %q", user)}
}

// readAuth reads the client's next 'p' message body.
func (c *clientConn) readAuth() ([]byte, error) {
	if err := c.flush(); err != nil {
		return nil, err
	}
	f, err := readFrame(c.br, 1<<16)
	if err != nil {
		return nil, err
	}
	if f.typ != 'p' {
		return nil, &protocolError{"08P01", fmt.Sprintf("expected password response, got message type %q", f.typ)}
	}
	return f.body, nil
}

func (c *clientConn) authCleartext(pw string) error {
	c.send(&pgproto3.AuthenticationCleartextPassword{})
	body, err := c.readAuth()
	if err != nil {
		return err
	}
	var m pgproto3.PasswordMessage
	if err := m.Decode(body); err != nil {
		return &protocolError{"08P01", "malformed password message"}
	}
	if subtle.ConstantTimeCompare([]byte(m.Password), []byte(pw)) != 1 {
		return authFailed(c.user)
	}
	return nil
}

func (c *clientConn) authMD5(pw string) error {
	var salt [4]byte
	rand.Read(salt[:])
	c.send(&pgproto3.AuthenticationMD5Password{Salt: salt})
	body, err := c.readAuth()
	if err != nil {
		return err
	}
	var m pgproto3.PasswordMessage
	if err := m.Decode(body); err != nil {
		return &protocolError{"08P01", "malformed password message"}
	}
	// md5(md5(password || user) || salt), hex, prefixed "md5".
	inner := md5.Sum([]byte(pw + c.user))
	outer := md5.Sum(append([]byte(hex.EncodeToString(inner[:])), salt[:]...))
	want := "md5" + hex.EncodeToString(outer[:])
	if subtle.ConstantTimeCompare([]byte(m.Password), []byte(want)) != 1 {
		return authFailed(c.user)
	}
	return nil
}

// authSCRAM runs SCRAM-SHA-256 (RFC 7677) as PostgreSQL does. Channel
// binding (SCRAM-SHA-256-PLUS) is not advertised, so clients use plain
// SCRAM even over TLS.
func (c *clientConn) authSCRAM(pw string) error {
	var salt [16]byte
	rand.Read(salt[:])
	client, err := scram.SHA256.NewClient("", pw, "")
	if err != nil {
		return fmt.Errorf("preparing SCRAM credentials: %w", err)
	}
	creds := client.GetStoredCredentials(scram.KeyFactors{Salt: string(salt[:]), Iters: scramIterations})
	server, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) { return creds, nil })
	if err != nil {
		return fmt.Errorf("preparing SCRAM server: %w", err)
	}
	conv := server.NewConversation()

	c.send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{"SCRAM-SHA-256"}})
	body, err := c.readAuth()
	if err != nil {
		return err
	}
	var first pgproto3.SASLInitialResponse
	if err := first.Decode(body); err != nil {
		return &protocolError{"08P01", "malformed SASL initial response"}
	}
	if first.AuthMechanism != "SCRAM-SHA-256" {
		return &protocolError{"28000", fmt.Sprintf("client selected an invalid SASL authentication mechanism %q", first.AuthMechanism)}
	}
	serverFirst, err := conv.Step(string(first.Data))
	if err != nil {
		return &protocolError{"08P01", "malformed SCRAM message: " + err.Error()}
	}
	c.send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	body, err = c.readAuth()
	if err != nil {
		return err
	}
	var final pgproto3.SASLResponse
	if err := final.Decode(body); err != nil {
		return &protocolError{"08P01", "malformed SASL response"}
	}
	serverFinal, err := conv.Step(string(final.Data))
	if err != nil || !conv.Valid() {
		return authFailed(c.user)
	}
	c.send(&pgproto3.AuthenticationSASLFinal{Data: []byte(serverFinal)})
	return nil
}
