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
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/t1102app/t1102/src/splunkapp"
)

// Errors a delivery ends with.
var (
	// ErrPermanent: the receiver refused the events in a way retrying
	// cannot fix (bad token, bad format).
	ErrPermanent = errors.New("forward: refused by the receiver")
	// ErrUnavailable: the receiver could not be reached or was busy until
	// the time ran out; the events stay in the spool.
	ErrUnavailable = errors.New("forward: receiver unavailable")
	// ErrRejected: the receiver refused one batch for its content (HTTP
	// 400, 413, 422) while it may take the others; the batch is set aside
	// in the spool (.refused) so that it does not block the ones after it.
	ErrRejected = errors.New("forward: batch rejected by the receiver")
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
	// Quoted, so that a receiver's text cannot start log lines of its own.
	return fmt.Sprintf("HTTP %d: %q", e.code, e.body)
}

// classify turns a receiver's non-success answer into an error: 429 and
// 5xx retryable, 400/413/422 a rejected batch, anything else (401, 403,
// 404: token or URL) permanent for the whole run. The body is quoted in
// the error, redacted first (see redact): secrets are what the request
// carried (its Authorization value, the token, the URL's path and query).
func classify(code int, body string, secrets ...string) error {
	se := &statusError{code: code, body: redact(body, secrets...)}
	switch {
	case code == http.StatusTooManyRequests || code >= 500:
		return se
	case code == http.StatusBadRequest || code == http.StatusRequestEntityTooLarge || code == http.StatusUnprocessableEntity:
		return fmt.Errorf("%w: %w", ErrRejected, se)
	}
	return fmt.Errorf("%w: %w", ErrPermanent, se)
}

// maxQuoted is how much of a receiver's answer an error quotes.
const maxQuoted = 300

const redacted = "[redacted]"

var (
	// An authorization scheme and its credentials: "Bearer <token>",
	// "Basic <base64>", "Splunk <token>" (HEC's and splunkd's scheme;
	// only a value with a digit, so that "Splunk Enterprise" stays).
	schemeValue = regexp.MustCompile(`(?i)\b(bearer|basic|splunk)(\s+|%20|\+)([^\s"'\\,;&<>]+)`)
	// A key that names a credential, and its value: a header line
	// ("Authorization: …", up to the end of the line) or a JSON, form or
	// query field ("token":"…", password=…).
	headerValue = regexp.MustCompile(`(?i)\b(authorization|proxy-authorization|x-splunk-token|cookie)("?\s*[:=]\s*)[^\r\n"]*`)
	fieldValue  = regexp.MustCompile(`(?i)\b(token|access_token|api_?key|apikey|secret|password|passwd|session_?key)("?\s*[:=]\s*"?)[^\s"',;&}<>]+`)
)

// redact makes a receiver's text safe to log: every secret's exact bytes
// (also JSON- and URL-escaped, and a prefix of one the read limit cut off
// at the end), any credential after an authorization scheme word or a
// credential's key are replaced, then the text is cut to maxQuoted bytes
// at a character boundary. Redacting before cutting leaves no prefix of a
// secret at the cut.
func redact(body string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue // too short to tell from ordinary text; the patterns still apply
		}
		js, _ := json.Marshal(sec)
		for _, form := range []string{sec, string(js[1 : len(js)-1]), url.QueryEscape(sec), url.PathEscape(sec)} {
			body = strings.ReplaceAll(body, form, redacted)
		}
		for k := len(sec) - 1; k >= 4; k-- {
			if strings.HasSuffix(body, sec[:k]) {
				body = body[:len(body)-k] + redacted
				break
			}
		}
	}
	body = schemeValue.ReplaceAllStringFunc(body, func(m string) string {
		sub := schemeValue.FindStringSubmatch(m)
		if strings.EqualFold(sub[1], "splunk") && !strings.ContainsAny(sub[3], "0123456789") {
			return m
		}
		if sub[3] == redacted {
			return m
		}
		return sub[1] + sub[2] + redacted
	})
	body = headerValue.ReplaceAllString(body, "${1}${2}"+redacted)
	body = fieldValue.ReplaceAllString(body, "${1}${2}"+redacted)
	if len(body) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut] + "…"
	}
	return body
}

// noRedirects refuses to follow redirects, for every client of a
// destination, the Cloud SDK's included (it builds its own http.Client on
// this transport). Go's client would turn a redirected POST into a GET,
// and a 2xx from, say, a login page would count as delivery.
type noRedirects struct{ rt http.RoundTripper }

func (n noRedirects) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := n.rt.RoundTrip(req)
	if err == nil && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: HTTP %d, a redirect, not followed: set url to the receiver's final address", ErrPermanent, resp.StatusCode)
	}
	return resp, err
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
	return &http.Client{Transport: noRedirects{tr}, Timeout: timeout}, nil
}

// redactURL keeps only the scheme and host of a URL for messages: webhook
// URLs carry their secret in the path (Slack's /services/T/B/<secret>,
// Discord's /api/webhooks/<id>/<token>) as well as in user information or
// the query.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(unparsable url)"
	}
	return u.Scheme + "://" + u.Host
}

// HEC sends events to a Splunk HTTP Event Collector
// (/services/collector/event), gzipped, one JSON object per event.
type HEC struct {
	URL                       string // base, e.g. https://hec.example:8088
	Token                     splunkapp.Secret
	Index, Sourcetype, Source string
	Client                    *http.Client
}

// Send posts one batch. HEC answers {"text":…,"code":n}; its status
// carries the outcome (200 with code 0 on success), which is what is
// checked.
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
	Token  splunkapp.Secret // sent as "Authorization: Bearer <token>" when set
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
// status and a cut of the body, redacted of the request's credentials and
// URL path and query, never the request's headers.
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
	secrets := []string{req.URL.EscapedPath(), req.URL.RawQuery}
	if auth := req.Header.Get("Authorization"); auth != "" {
		_, cred, _ := strings.Cut(auth, " ")
		secrets = append(secrets, auth, cred)
	}
	return classify(resp.StatusCode, strings.TrimSpace(string(body)), secrets...)
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
// until ctx ends; done is called after each acknowledged batch, reject
// after each batch the receiver rejected for its content (ErrRejected),
// and delivery goes on with the next one. A batch without a File was not
// spooled: a rejection drops it, and the log says so. It returns ErrPermanent or
// ErrUnavailable (wrapping the last error) when it could not deliver
// everything, ErrRejected when it delivered all but rejected batches.
func Deliver(ctx context.Context, d Destination, batches []Batch, b Backoff, done, reject func(Batch) error, logf func(level, format string, args ...any)) error {
	var rejected error
	rejectedEvents := 0
	for _, batch := range batches {
		for try := 0; ; try++ {
			err := d.Send(ctx, batch.Events)
			if err == nil {
				if err := done(batch); err != nil {
					return err
				}
				break
			}
			if errors.Is(err, ErrRejected) {
				if err := reject(batch); err != nil {
					return err
				}
				rejected = err
				rejectedEvents += len(batch.Events)
				if batch.File == "" {
					logf("ERROR", "%v: %d events dropped: they were not spooled, so nothing keeps them", err, len(batch.Events))
				} else {
					logf("ERROR", "%v: %d events set aside in %s.refused (rename it back to .jsonl to retry once fixed)", err, len(batch.Events), batch.File)
				}
				break
			}
			if !retryable(err) {
				if errors.Is(err, ErrPermanent) {
					return err
				}
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
	if rejected != nil {
		return fmt.Errorf("%d events set aside: %w", rejectedEvents, rejected)
	}
	return nil
}
