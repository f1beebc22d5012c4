package dqlite

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/canonical/go-dqlite/app"
)

// testTLS returns server and client configurations sharing one
// self-signed certificate, as go-dqlite's SimpleTLSConfig expects.
func testTLS(t *testing.T) (*tls.Config, *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sqlcluster"},
		DNSNames:              []string{"sqlcluster"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return app.SimpleTLSConfig(tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool)
}

// TestTLS runs a two-node cluster over TLS. The second node stays a spare
// (two voters would be an even number) and knows no leader by itself: its
// statements find the leader through the other members.
func TestTLS(t *testing.T) {
	server, client := testTLS(t)
	cfg := testConfig(t)
	cfg.ServerTLS, cfg.ClientTLS = server, client
	first := openNode(t, cfg)
	cfg2 := testConfig(t, first.Address())
	cfg2.ServerTLS, cfg2.ClientTLS = server, client
	second := openNode(t, cfg2)

	s1 := newSession(t, first, DefaultDatabase)
	mustExec(t, s1, "CREATE TABLE t (x TEXT)")
	s2 := newSession(t, second, DefaultDatabase)
	mustExec(t, s2, "INSERT INTO t VALUES ('over tls')")
	rows := mustQuery(t, s1, "SELECT x FROM t")
	if len(rows) != 1 || rows[0][0] != "over tls" {
		t.Fatalf("read %v", rows)
	}
	if id, _, err := second.Leader(t.Context()); err != nil || id != first.ID() {
		t.Fatalf("spare's leader: %d %v", id, err)
	}

	plain := testConfig(t)
	plain.ServerTLS = server
	if _, err := Open(t.Context(), plain); err == nil {
		t.Fatal("ServerTLS without ClientTLS was accepted")
	}
}
