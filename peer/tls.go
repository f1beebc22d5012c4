package peer

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// keyInfo versions the key derivation: changing it changes every node's
// key, which is a cluster-wide flag day.
const keyInfo = "sqlcluster peer key v1\x00"

// validSecretLen reports whether n is an accepted secret length (the AES
// key sizes, which is what operators are used to generating).
func validSecretLen(n int) bool { return n == 16 || n == 24 || n == 32 }

// DecodeSecret decodes a cluster secret given as base64 (standard or URL
// alphabet, padded or not) of 16, 24 or 32 bytes.
func DecodeSecret(b64 string) ([]byte, error) {
	s := strings.TrimSpace(b64)
	if s == "" {
		return nil, errors.New("cluster secret is empty")
	}
	var (
		b   []byte
		err error
	)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cluster secret is not valid base64: %w", err)
	}
	if !validSecretLen(len(b)) {
		return nil, fmt.Errorf("cluster secret must be 16, 24 or 32 bytes, got %d (generate one with: head -c 32 /dev/urandom | base64)", len(b))
	}
	return b, nil
}

// deriveKey returns the ed25519 key every node of the cluster derives from
// the same secret and cluster id.
func deriveKey(secret []byte, clusterID string) (ed25519.PrivateKey, error) {
	seed, err := hkdf.Key(sha256.New, secret, nil, keyInfo+clusterID, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("deriving peer key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// TLSConfig returns a TLS 1.3 configuration, usable on both the client and
// the server side, that presents the certificate derived from secret and
// clusterID and accepts only a peer presenting the same one. Chains are not
// verified: possession of the derived key is the whole proof of membership.
func TLSConfig(secret []byte, clusterID string) (*tls.Config, error) {
	if !validSecretLen(len(secret)) {
		return nil, fmt.Errorf("cluster secret must be 16, 24 or 32 bytes, got %d", len(secret))
	}
	key, err := deriveKey(secret, clusterID)
	if err != nil {
		return nil, err
	}
	pub := key.Public().(ed25519.PublicKey)
	// The certificate is deterministic too (ed25519 signatures are), which
	// keeps nodes byte-identical; its dates are irrelevant because nobody
	// verifies the chain.
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sqlcluster peer", OrganizationalUnit: []string{clusterID}},
		NotBefore:             time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(nil, tmpl, tmpl, pub, key)
	if err != nil {
		return nil, fmt.Errorf("creating peer certificate: %w", err)
	}
	verify := func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("peer presented no certificate")
		}
		got, ok := cs.PeerCertificates[0].PublicKey.(ed25519.PublicKey)
		if !ok || !got.Equal(pub) {
			return errors.New("peer does not hold this cluster's key (different cluster secret or cluster id)")
		}
		return nil
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		ClientAuth:   tls.RequireAnyClientCert,
		// The client must skip chain verification to reach
		// VerifyConnection, which is where the real check happens.
		InsecureSkipVerify: true,
		VerifyConnection:   verify,
		// Resumed sessions would skip presenting certificates; every
		// connection proves the key afresh instead.
		SessionTicketsDisabled: true,
	}, nil
}
