package wire

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgproto3/v2"

	"github.com/sqlcluster/sqlcluster/engine"
)

// errCancelRequest ends a connection that only carried a CancelRequest.
var errCancelRequest = errors.New("cancel request handled")

// startup runs the connection's negotiation phase up to the first
// ReadyForQuery.
func (c *clientConn) startup() error {
	c.nc.SetReadDeadline(time.Now().Add(60 * time.Second)) // authentication_timeout
	defer c.nc.SetReadDeadline(time.Time{})
	tlsDone := false
	for {
		code, body, err := readStartup(c.br, c.srv.cfg.MaxMessageSize)
		if err != nil {
			return c.fatal(err)
		}
		switch code {
		case sslRequestCode:
			if tlsDone || c.br.Buffered() > 0 {
				// Bytes after SSLRequest before our answer would be
				// injected plaintext (CVE-2021-23214).
				return c.fatal(&protocolError{"08P01", "unexpected data after SSLRequest"})
			}
			if c.srv.cfg.TLS == nil {
				c.nc.Write([]byte{'N'})
				continue
			}
			c.nc.Write([]byte{'S'})
			if err := c.upgradeTLS(c.srv.cfg.TLS); err != nil {
				return fmt.Errorf("TLS handshake: %w", err)
			}
			tlsDone = true
		case gssEncRequest:
			c.nc.Write([]byte{'N'})
		case cancelRequestCod:
			if len(body) == 12 {
				c.srv.cancel(be32(body[4:8]), be32(body[8:12]))
			}
			// PostgreSQL closes the connection without answering; libpq
			// waits for that EOF before it returns from PQcancel.
			return errCancelRequest
		case protocolV3:
			var sm pgproto3.StartupMessage
			if err := sm.Decode(body); err != nil {
				return c.fatal(&protocolError{"08P01", "invalid startup packet: " + err.Error()})
			}
			return c.beginSession(sm.Parameters)
		default:
			if code>>16 != 3 {
				return c.fatal(&protocolError{"0A000", fmt.Sprintf("unsupported frontend protocol %d.%d: server supports 3.0", code>>16, code&0xffff)})
			}
			// A 3.x minor version we don't know: PostgreSQL answers with
			// NegotiateProtocolVersion; 3.0 clients never send this.
			var sm pgproto3.StartupMessage
			if err := sm.Decode(body); err != nil {
				return c.fatal(&protocolError{"08P01", "invalid startup packet: " + err.Error()})
			}
			return c.beginSession(sm.Parameters)
		}
	}
}

// beginSession authenticates the user described by params and opens the session.
func (c *clientConn) beginSession(params map[string]string) error {
	c.user = params["user"]
	if c.user == "" {
		return c.fatal(&protocolError{"28000", "no PostgreSQL user name specified in startup packet"})
	}
	c.database = params["database"]
	if c.database == "" {
		c.database = c.user
	}
	if err := c.authenticate(); err != nil {
		return err
	}
	c.settings = newSettings(c.srv.cfg.ServerVersion, c.user)
	if c.srv.cfg.Standby != nil && c.srv.cfg.Standby() {
		c.settings.values["in_hot_standby"] = "on"
	}
	for k, v := range params {
		switch k {
		case "user", "database", "replication":
			continue
		case "options":
			if err := c.applyOptions(v); err != nil {
				return c.fatal(err)
			}
			continue
		}
		if err := c.settings.set(k, v, false); err != nil {
			// Unknown startup parameters are a FATAL error in PostgreSQL
			// too; clients rely on that to learn what is supported.
			return c.fatal(err)
		}
	}
	if err := c.codec.SetTimeZone(c.settings.get("timezone")); err != nil {
		return c.fatal(err)
	}
	c.codecTZ = c.settings.get("timezone")
	sess, err := c.srv.cfg.Engine.Open(c.ctx, c.database, engine.SessionInfo{User: c.user, Settings: c.settings.lookup})
	if err != nil {
		return c.fatal(err)
	}
	c.sess = sess
	c.send(&pgproto3.AuthenticationOk{})
	for _, name := range reportedSettings {
		c.send(&pgproto3.ParameterStatus{Name: c.settings.canonicalName(name), Value: c.settings.get(name)})
	}
	c.settings.drainChanged() // records what was just sent
	c.pid, c.secret = c.srv.allocKey(c)
	c.send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	c.send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
	return c.flush()
}

// applyOptions handles the startup "options" parameter ("-c name=value …"),
// which libpq fills from PGOPTIONS.
func (c *clientConn) applyOptions(opts string) error {
	f := strings.Fields(opts)
	for i := 0; i < len(f); i++ {
		kv := f[i]
		if kv == "-c" && i+1 < len(f) {
			i++
			kv = f[i]
		} else if strings.HasPrefix(kv, "--") {
			kv = kv[2:]
		} else if strings.HasPrefix(kv, "-c") {
			kv = kv[2:]
		} else {
			continue
		}
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return &engine.Error{Code: "42601", Message: fmt.Sprintf("invalid option %q in startup options", kv)}
		}
		if err := c.settings.set(strings.ReplaceAll(name, "-", "_"), value, false); err != nil {
			return err
		}
	}
	return nil
}

// fatal sends err as a FATAL ErrorResponse and returns it.
func (c *clientConn) fatal(err error) error {
	// An *engine.Error is an answer for the client even when it wraps a
	// network error or a timeout: those come from the engine's own
	// connections (raft mode: to the leader, while it is being replaced).
	// Only the client's socket failing leaves nobody to tell.
	var ee *engine.Error
	if !errors.As(err, &ee) && isDisconnect(err) {
		return err
	}
	er := errorResponse(err)
	er.Severity, er.SeverityUnlocalized = "FATAL", "FATAL"
	c.send(er)
	c.flush()
	return err
}
