package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sqlcluster/sqlcluster/admin"
)

// client talks to one node's admin API.
type client struct {
	node      string // as the operator wrote it, for messages
	base      string
	timeout   time.Duration // a quick request as a whole; connecting, for long ones
	opTimeout time.Duration // a long operation as a whole; 0: no limit
	http      *http.Client
	root      context.Context // cancelled by Ctrl-C
}

func newClient(c *cli.Context) *client {
	timeout := c.Duration("timeout")
	// No Client.Timeout and no ResponseHeaderTimeout: a transfer or restore
	// answers only when done, and a backup's first byte can take a while.
	// Deadlines come from contexts instead.
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   timeout,
		ExpectContinueTimeout: timeout,
		ForceAttemptHTTP2:     true,
	}
	return &client{
		node:      c.String("node"),
		base:      baseURL(c.String("node")),
		timeout:   timeout,
		opTimeout: c.Duration("op-timeout"),
		http:      &http.Client{Transport: tr},
		root:      c.Context,
	}
}

func baseURL(node string) string {
	if strings.HasPrefix(node, "http://") || strings.HasPrefix(node, "https://") {
		return strings.TrimSuffix(node, "/")
	}
	return "http://" + node
}

// quick returns the context of a short request: bounded by --timeout.
func (cl *client) quick() (context.Context, context.CancelFunc) {
	if cl.timeout <= 0 {
		return context.WithCancel(cl.root)
	}
	return context.WithTimeout(cl.root, cl.timeout)
}

// long returns the context of backup, restore and transfer: bounded only
// by --op-timeout, if set.
func (cl *client) long() (context.Context, context.CancelFunc) {
	if cl.opTimeout <= 0 {
		return context.WithCancel(cl.root)
	}
	return context.WithTimeout(cl.root, cl.opTimeout)
}

// do sends a request and returns the response if its status is 2xx; any
// other answer becomes the node's error message.
func (cl *client) do(ctx context.Context, method, path string, body io.Reader, prepare func(*http.Request)) (*http.Response, error) {
	url := cl.base + path
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, fmt.Errorf("invalid --node %q: %w", cl.node, err)
	}
	if prepare != nil {
		prepare(req)
	}
	resp, err := cl.http.Do(req)
	if err != nil {
		return nil, cl.failed(ctx, url, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, apiError(url, resp)
	}
	return resp, nil
}

// failed explains a request that got no answer.
func (cl *client) failed(ctx context.Context, url string, err error) error {
	switch {
	case cl.root.Err() != nil:
		return errInterrupted
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%s did not answer in time (raise --timeout or --op-timeout): %w", url, err)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("cannot reach the node's admin API at %s (is sqlclusterd running with --admin-addr %s?): %w", url, cl.node, err)
	}
	return fmt.Errorf("talking to %s: %w", url, err)
}

var errInterrupted = errors.New("interrupted")

// apiError turns a non-2xx answer into an error. The node's JSON message
// already says what to do, so it is returned as it is.
func apiError(url string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e admin.ErrorResponse
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return errors.New(e.Error)
	}
	return fmt.Errorf("%s answered %s: %s", url, resp.Status, strings.TrimSpace(string(b)))
}

// getJSON fetches path into v (when v is not nil) and returns the raw body.
func (cl *client) getJSON(path string, v any) ([]byte, error) {
	ctx, cancel := cl.quick()
	defer cancel()
	return cl.roundTrip(ctx, http.MethodGet, path, nil, v)
}

// roundTrip sends in as JSON (when not nil) and decodes the answer into out.
func (cl *client) roundTrip(ctx context.Context, method, path string, in, out any) ([]byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	resp, err := cl.do(ctx, method, path, body, func(r *http.Request) {
		if in != nil {
			r.Header.Set("Content-Type", "application/json")
		}
		r.Header.Set("Accept", "application/json")
	})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, cl.failed(ctx, cl.base+path, fmt.Errorf("reading the answer: %w", err))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return nil, fmt.Errorf("%s returned an unreadable answer: %w", cl.base+path, err)
		}
	}
	return b, nil
}

// ack runs a cluster operation and prints the node's account of it.
func (cl *client) ack(ctx context.Context, method, path string, in any) error {
	var a admin.Ack
	if _, err := cl.roundTrip(ctx, method, path, in, &a); err != nil {
		return err
	}
	fmt.Println(a.Message)
	return nil
}
