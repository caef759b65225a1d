package forward

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/t1102app/t1102/src/chunked"
)

// Errors a delivery ends with.
var (
	// ErrPermanent: the receiver refused the events in a way retrying
	// cannot fix (bad token, bad format).
	ErrPermanent = errors.New("forward: refused by the receiver")
	// ErrUnavailable: the receiver could not be reached or was busy until
	// the time ran out; the events stay in the spool.
	ErrUnavailable = errors.New("forward: receiver unavailable")
)

// Destination sends one batch of events.
type Destination interface {
	Send(ctx context.Context, events []Event) error
}

// statusError is an HTTP answer that is not success.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.code, e.body)
}

// retryable reports whether another try may succeed: network errors,
// 429 and 5xx.
func retryable(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.code == http.StatusTooManyRequests || se.code >= 500
	}
	return !errors.Is(err, ErrPermanent) && !errors.Is(err, context.Canceled)
}

// HTTPClient builds the client for a destination: TLS verified against
// the system roots or a CA bundle; plain http refused unless allowed.
func HTTPClient(rawURL, caFile string, allowHTTP bool, timeout time.Duration) (*http.Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: url %q", ErrConfig, redactURL(rawURL))
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP {
			return nil, fmt.Errorf("%w: %s is plain http; set allow_http = 1 to allow it", ErrConfig, redactURL(rawURL))
		}
	default:
		return nil, fmt.Errorf("%w: url scheme %q: want https", ErrConfig, u.Scheme)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("%w: ca_file: %w", ErrConfig, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: ca_file %s holds no PEM certificate", ErrConfig, caFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// redactURL drops user information and the query from a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable url)"
	}
	u.User, u.RawQuery = nil, ""
	return u.String()
}

// HEC sends events to a Splunk HTTP Event Collector
// (/services/collector/event), gzipped, one JSON object per event.
type HEC struct {
	URL                       string // base, e.g. https://hec.example:8088
	Token                     chunked.Secret
	Index, Sourcetype, Source string
	Client                    *http.Client
}

// Send posts one batch. HEC answers {"text":…,"code":n}; 200 with code 0
// is success.
func (h *HEC) Send(ctx context.Context, events []Event) error {
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	enc := json.NewEncoder(zw)
	for _, ev := range events {
		obj := map[string]any{"event": ev, "sourcetype": h.Sourcetype, "source": h.Source}
		if h.Index != "" {
			obj["index"] = h.Index
		}
		if ev.Host != "" {
			obj["host"] = ev.Host
		}
		if ev.Time > 0 {
			obj["time"] = ev.Time
		}
		if err := enc.Encode(obj); err != nil {
			return fmt.Errorf("%w: %w", ErrPermanent, err)
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(h.URL, "/")+"/services/collector/event", &body)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	req.Header.Set("Authorization", "Splunk "+h.Token.Reveal())
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Content-Type", "application/json")
	return do(h.Client, req)
}

// Webhook posts each batch as a JSON array to a URL.
type Webhook struct {
	URL    string
	Token  chunked.Secret // sent as "Authorization: Bearer <token>" when set
	Client *http.Client
}

// Send posts one batch.
func (w *Webhook) Send(ctx context.Context, events []Event) error {
	b, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if w.Token.Reveal() != "" {
		req.Header.Set("Authorization", "Bearer "+w.Token.Reveal())
	}
	return do(w.Client, req)
}

// do sends a request and classifies the answer. Error texts carry the
// status and a cut of the body, never the request's headers.
func do(c *http.Client, req *http.Request) error {
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the caller's messages already
		}
		return fmt.Errorf("%s %s: %w", req.Method, redactURL(req.URL.String()), err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	se := &statusError{code: resp.StatusCode, body: strings.TrimSpace(string(body))}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return se
	}
	return fmt.Errorf("%w: %w", ErrPermanent, se)
}

// Backoff is the retry schedule.
type Backoff struct {
	First, Max time.Duration
	Rand       func() float64 // [0,1), for jitter; nil uses math/rand/v2
}

// delay returns the wait before try n (0-based): First·2ⁿ capped at Max,
// with ±50% jitter so that many alerts do not retry in step.
func (b Backoff) delay(n int) time.Duration {
	d := b.First << min(n, 20)
	if d > b.Max || d <= 0 {
		d = b.Max
	}
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	return time.Duration(float64(d) * (0.5 + r()))
}

// Deliver sends the batches in order, retrying each on retryable errors
// until ctx ends; done is called after each acknowledged batch. It returns
// ErrPermanent or ErrUnavailable (wrapping the last error) when it could
// not deliver everything.
func Deliver(ctx context.Context, d Destination, batches []Batch, b Backoff, done func(Batch) error, logf func(level, format string, args ...any)) error {
	for _, batch := range batches {
		for try := 0; ; try++ {
			err := d.Send(ctx, batch.Events)
			if err == nil {
				if err := done(batch); err != nil {
					return err
				}
				break
			}
			if !retryable(err) {
				return fmt.Errorf("%w: %w", ErrPermanent, err)
			}
			wait := b.delay(try)
			logf("WARN", "delivery of %d events failed (%v); retrying in %v", len(batch.Events), err, wait.Round(time.Millisecond))
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w: %w", ErrUnavailable, err)
			case <-time.After(wait):
			}
		}
	}
	return nil
}
