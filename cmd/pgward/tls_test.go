package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/pgward/pgward/internal/testkit/pgtest"
)

// TestTLS_verificationWhenTheURLAsksForIt: sslmode=verify-full (and
// require) against the harness's server, which has no TLS, fails with one
// clear line that names TLS and holds no password; pgx does not fall back
// to a plain connection.
func TestTLS_verificationWhenTheURLAsksForIt(t *testing.T) {
	db := pgtest.NewDB(t)
	pw := "tls@:/?" + randomSuffix(t)
	user, roleURL := pgtest.PasswordRole(t, db, pw)
	u, err := url.Parse(roleURL)
	if err != nil {
		t.Fatal(err)
	}
	policyPath := writePolicy(t, "role \"nobody_declared\" {\n  if_missing = \"skip\"\n}\n")
	for _, mode := range []string{"verify-full", "verify-ca", "require"} {
		t.Run(mode, func(t *testing.T) {
			c := cli{t: t, url: fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=%s", user, encodePassword(pw), u.Host, db.Name, mode)}
			stdout, stderr := c.expect(1, "plan", "--policy", policyPath)
			oneLineError(t, stderr, "TLS refused by the server: cannot connect to "+u.Host+"/"+db.Name+" as user "+user, secretForms(pw)...)
			noSecret(t, "plan", stdout, stderr, secretForms(pw))
		})
	}
	// The same URL without TLS connects: the failure above is TLS's.
	c := cli{t: t, url: fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", user, encodePassword(pw), u.Host, db.Name)}
	c.expect(0, "plan", "--policy", policyPath)
}

// fakeTLSServer accepts PostgreSQL connections that ask for TLS, completes
// the handshake with a self-signed certificate for 127.0.0.1, and answers
// the startup message with a FATAL error saying so. It returns its
// address and the certificate in PEM, for sslrootcert.
func fakeTLSServer(t *testing.T) (addr, certPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "pgward test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				req := make([]byte, 8) // SSLRequest: length 8, code 80877103
				if _, err := io.ReadFull(c, req); err != nil || binary.BigEndian.Uint32(req[4:]) != 80877103 {
					return
				}
				if _, err := c.Write([]byte{'S'}); err != nil {
					return
				}
				tc := tls.Server(c, cfg)
				if tc.Handshake() != nil {
					return
				}
				head := make([]byte, 4) // the startup message
				if _, err := io.ReadFull(tc, head); err != nil {
					return
				}
				if _, err := io.CopyN(io.Discard, tc, int64(binary.BigEndian.Uint32(head))-4); err != nil {
					return
				}
				var body []byte
				for _, f := range []string{"SFATAL", "VFATAL", "C28000", "Mfake server: TLS handshake completed"} {
					body = append(append(body, f...), 0)
				}
				body = append(body, 0)
				msg := binary.BigEndian.AppendUint32([]byte{'E'}, uint32(len(body)+4))
				_, _ = tc.Write(append(msg, body...))
			}(c)
		}
	}()
	return ln.Addr().String(), string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestTLS_verifyFullChecksTheCertificate: with sslmode=verify-full pgward
// (pgx) refuses a server whose certificate no trusted root signed, with one
// line and no password; given the root (sslrootcert) it connects.
// sslmode=require and Ecto's ssl=true encrypt without checking the
// certificate, as libpq does.
func TestTLS_verifyFullChecksTheCertificate(t *testing.T) {
	addr, certPEM := fakeTLSServer(t)
	root := filepath.Join(t.TempDir(), "root.crt")
	if err := os.WriteFile(root, []byte(certPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	pw := "v3rify@:/?" + randomSuffix(t)
	policyPath := writePolicy(t, "role \"nobody_declared\" {\n  if_missing = \"skip\"\n}\n")
	base := fmt.Sprintf("postgres://app:%s@%s/app?connect_timeout=5&sslmode=", encodePassword(pw), addr)
	for _, tt := range []struct {
		name, url, want string
	}{
		{"verify-full without the root refuses the certificate", base + "verify-full", "certificate signed by unknown authority"},
		{"verify-ca without the root refuses it too", base + "verify-ca", "certificate signed by unknown authority"},
		{"verify-full with the root connects", base + "verify-full&sslrootcert=" + url.QueryEscape(root), "fake server: TLS handshake completed"},
		{"require does not verify", base + "require", "fake server: TLS handshake completed"},
		{"Ecto's ssl=true is require", fmt.Sprintf("ecto://app:%s@%s/app?ssl=true&pool_size=10", encodePassword(pw), addr), "fake server: TLS handshake completed"},
		{"Ecto's ssl=true then sslmode=verify-full verifies", fmt.Sprintf("ecto://app:%s@%s/app?ssl=true&sslmode=verify-full", encodePassword(pw), addr), "certificate signed by unknown authority"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := cli{t: t, url: tt.url}
			stdout, stderr := c.expect(1, "plan", "--policy", policyPath)
			oneLineError(t, stderr, tt.want, secretForms(pw)...)
			noSecret(t, "plan", stdout, stderr, secretForms(pw))
		})
	}
}

var revokeCount = regexp.MustCompile(`Plan: \d+ to grant, (\d+) to revoke`)
