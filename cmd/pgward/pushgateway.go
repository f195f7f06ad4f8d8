package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pgward/pgward/internal/textout"
)

// pushTimeout bounds a push to a Pushgateway: an audit must end even when
// the gateway does not answer.
const pushTimeout = 30 * time.Second

// parsePushgatewayURL checks audit --pushgateway: an http(s) URL whose path
// holds the grouping key (/metrics/job/<job>[/<label>/<value>]...), which
// names the group of metrics a push replaces. Errors show the URL without
// its password.
func parsePushgatewayURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Parse's error repeats the whole URL, password included.
		return nil, errors.New("--pushgateway: not a URL; want http://HOST:9091/metrics/job/JOB")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("--pushgateway %s: want an http:// or https:// URL, like http://HOST:9091/metrics/job/JOB", u.Redacted())
	}
	rest, ok := strings.CutPrefix(strings.TrimSuffix(u.Path, "/"), "/metrics/job/")
	if !ok || rest == "" || strings.HasPrefix(rest, "/") {
		return nil, fmt.Errorf("--pushgateway %s: the path must be the grouping key, /metrics/job/JOB (then optional /LABEL/VALUE pairs)", u.Redacted())
	}
	if strings.Count(rest, "/")%2 != 0 {
		return nil, fmt.Errorf("--pushgateway %s: the grouping key after /metrics/job/JOB must be /LABEL/VALUE pairs", u.Redacted())
	}
	return u, nil
}

// withShard adds the shard to u's grouping key, so that the shards of one
// fleet, each pushing its own part, fill groups of their own instead of
// replacing each other's metrics. The value is the series' shard label
// ("2/4"), base64url-encoded as the Pushgateway's API takes a value holding
// a slash; a grouping key already naming shard is left as it is (the
// Pushgateway refuses a label twice).
func withShard(u *url.URL, shard string) *url.URL {
	if u == nil || shard == "" {
		return u
	}
	rest := strings.TrimPrefix(strings.TrimSuffix(u.Path, "/"), "/metrics/job/")
	parts := strings.Split(rest, "/")
	for i := 1; i+1 < len(parts); i += 2 {
		if name, _, _ := strings.Cut(parts[i], "@"); name == "shard" {
			return u
		}
	}
	c := *u
	c.Path = strings.TrimSuffix(u.Path, "/") + "/shard@base64/" + base64.URLEncoding.EncodeToString([]byte(shard))
	c.RawPath = ""
	return &c
}

// pushMetrics replaces the metrics of u's group on a Pushgateway with
// metrics (the text exposition format), by PUT as the Pushgateway's API
// asks: series an earlier push had and this one lacks (a role whose drift
// was fixed) disappear.
func pushMetrics(ctx context.Context, u *url.URL, metrics []byte) error {
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(metrics))
	if err != nil {
		return fmt.Errorf("push metrics to %s: %w", u.Redacted(), err)
	}
	req.Header.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// A *url.Error names the URL it was given, password included.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("push metrics to %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("push metrics to %s: %s: %s", u.Redacted(), resp.Status, textout.OneLine(strings.TrimSpace(string(body))))
	}
	return nil
}
