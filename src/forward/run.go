package forward

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/t1102app/t1102/src/internal/exit"
	"github.com/t1102app/t1102/src/splunkapp"
)

// Exit statuses of the alert action (splunkd logs them; 0 is success).
const (
	ExitOK          = 0
	ExitUsage       = 2 // not started with --execute, a payload/parameter error, or the administrator's alert_actions.conf unreadable
	ExitSecret      = 3 // the credential could not be read from storage/passwords
	ExitRefused     = 4 // the receiver refused the events (401/403/404, a redirect: fix the configuration) or rejected batches (400/413/422: set aside as .refused)
	ExitUnavailable = 5 // the receiver stayed unavailable: events kept in the spool for the next run
	ExitResults     = 6 // the results file could not be read
	ExitSpool       = 7 // the spool could not be written or read: what it could not take was sent directly, and the log counts what of it was lost
)

// ErrConfig is wrapped by parameter errors.
var ErrConfig = errors.New("forward: bad parameter")

// Config are the action's parameters (alert_actions.conf param.*, per
// saved search action.t1102_forward.param.*; SpoolDir, CAFile and
// AllowHTTP from alert_actions.conf only, see AdminKeys).
type Config struct {
	Destination string // hec, webhook or scs
	Tenant      string // scs: the Splunk Cloud Services tenant
	URL         string
	Credential  string // storage/passwords entry: "name" or "realm:name"
	Index       string
	Sourcetype  string
	Source      string
	BatchSize   int
	CAFile      string
	AllowHTTP   bool
	MaxTime     time.Duration
	SpoolDir    string
}

// ParseConfig reads and checks the parameters.
func ParseConfig(p map[string]string) (Config, error) {
	c := Config{Destination: p["destination"], URL: strings.TrimSpace(p["url"]), Credential: strings.TrimSpace(p["credential"]),
		Index: p["index"], Sourcetype: p["sourcetype"], Source: p["source"], CAFile: p["ca_file"], SpoolDir: p["spool_dir"], Tenant: p["tenant"],
		BatchSize: 100, MaxTime: 240 * time.Second}
	if c.Sourcetype == "" {
		c.Sourcetype = "t1102:detection"
	}
	if c.Source == "" {
		c.Source = "t1102_forward"
	}
	switch c.Destination {
	case "hec", "webhook":
	case "scs":
		if c.Tenant == "" {
			return c, fmt.Errorf("%w: tenant is required for scs", ErrConfig)
		}
		if c.Credential == "" {
			return c, fmt.Errorf("%w: credential is required for scs (the storage/passwords entry holding the access token)", ErrConfig)
		}
	default:
		return c, fmt.Errorf("%w: destination %q: want hec, webhook or scs", ErrConfig, c.Destination)
	}
	if c.URL == "" {
		return c, fmt.Errorf("%w: url is required", ErrConfig)
	}
	if c.Destination == "hec" && c.Credential == "" {
		return c, fmt.Errorf("%w: credential is required for hec (the storage/passwords entry holding the HEC token)", ErrConfig)
	}
	if v := p["batch_size"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return c, fmt.Errorf("%w: batch_size %q: want 1 to 10000", ErrConfig, v)
		}
		c.BatchSize = n
	}
	if v := p["max_time"]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 3600 {
			return c, fmt.Errorf("%w: max_time %q: want 1 to 3600 seconds", ErrConfig, v)
		}
		c.MaxTime = time.Duration(n) * time.Second
	}
	if v := p["allow_http"]; v != "" {
		b, err := splunkapp.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("%w: allow_http: %w", ErrConfig, err)
		}
		c.AllowHTTP = b
	}
	return c, nil
}

// Secret reads a credential from splunkd's credential store:
// GET <server_uri>/servicesNS/nobody/<app>/storage/passwords/<realm>:<name>:
// with the payload's session key. splunkd's management port on the local
// host uses a self-signed certificate, so a loopback server_uri is not
// verified; any other is.
func Secret(ctx context.Context, serverURI, app, credential string, sessionKey splunkapp.Secret) (splunkapp.Secret, error) {
	realm, name, ok := strings.Cut(credential, ":")
	if !ok {
		realm, name = "", credential
	}
	u, err := url.Parse(serverURI)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("server_uri %q is not a URL", serverURI)
	}
	if app == "" {
		app = "-"
	}
	// The entity is "<realm>:<name>:", a colon inside the name escaped as
	// "\:" (how splunkd names storage/passwords entries).
	entity := realm + ":" + strings.ReplaceAll(name, ":", `\:`) + ":"
	u.Path = "/servicesNS/nobody/" + app + "/storage/passwords/" + entity
	u.RawPath = "/servicesNS/nobody/" + url.PathEscape(app) + "/storage/passwords/" + url.PathEscape(entity)
	u.RawQuery = "output_mode=json"
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} // splunkd's own self-signed certificate
	}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Splunk "+sessionKey.Reveal())
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", fmt.Errorf("storage/passwords %q: %w", credential, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("storage/passwords %q: HTTP %d", credential, resp.StatusCode)
	}
	var doc struct {
		Entry []struct {
			Content struct {
				ClearPassword string `json:"clear_password"`
			} `json:"content"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Entry) == 0 || doc.Entry[0].Content.ClearPassword == "" {
		return "", fmt.Errorf("storage/passwords %q: no password in the answer", credential)
	}
	return splunkapp.Secret(doc.Entry[0].Content.ClearPassword), nil
}

// Options are what one run of the alert action reads and writes.
type Options struct {
	Payload io.Reader // the alert's JSON payload (splunkd writes it on standard input)
	Log     io.Writer // splunkd's log of the action (standard error): "LEVEL t1102_forward: text" lines
	// Getenv looks up environment variables: SPLUNK_HOME (the
	// administrator's etc/system/local/alert_actions.conf and the default
	// spool folder).
	Getenv func(string) string
}

// Run runs the alert action once: reads the payload and the alert's
// results, spools them, and delivers what waits in the spool. It logs
// progress, warnings and the errors it goes on after on o.Log, and returns
// nil on success or the error that ended the run as an [*exit.Error]
// carrying the action's exit status ([ExitUsage] to [ExitSpool]); the
// caller logs it as "ERROR t1102_forward: <error>".
func Run(ctx context.Context, o Options) error {
	a := &action{logf: func(level, format string, args ...any) {
		fmt.Fprintf(o.Log, "%s t1102_forward: %s\n", level, fmt.Sprintf(format, args...))
	}}
	if err := a.prepare(o); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.MaxTime)
	defer cancel()
	return a.forward(ctx)
}

// action is one run of the alert action.
type action struct {
	logf   func(level, format string, args ...any)
	p      *Payload
	events []Event // this run's results
	cfg    Config
	client *http.Client
	spool  Spool // this destination's
	dest   Destination
}

// prepare reads the payload, the results and the settings. Every setting
// is checked before a token is fetched or anything is spooled: events
// spooled for a URL that cannot work would wait in a folder (named after
// that URL) that no corrected run reads.
func (a *action) prepare(o Options) error {
	p, err := ReadPayload(o.Payload)
	if err != nil {
		return exit.With(ExitUsage, err)
	}
	a.p = p
	// The results first, read only: a setting that stops the run then says
	// how many results it leaves undelivered.
	switch {
	case p.ResultsFile != "":
		results, err := ReadResults(p.ResultsFile)
		if err != nil {
			return exit.With(ExitResults, err)
		}
		a.events = Events(p, results)
	case len(p.Result) > 0:
		// No results file (an ad hoc sendalert can have none): the payload's
		// own result row.
		a.events = Events(p, []Result{p.Result})
	}
	if err := a.settings(o.Getenv); err != nil {
		return exit.Errorf(ExitUsage, "%v; %d results of this run not delivered (nothing spooled, nothing sent)", err, len(a.events))
	}
	return nil
}

// settings reads the parameters, the administrator's and the payload's,
// and builds the HTTP client and the spool.
func (a *action) settings(getenv func(string) string) error {
	// spool_dir, ca_file and allow_http are the administrator's: read from
	// alert_actions.conf, whatever the payload says (see AdminKeys).
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return fmt.Errorf("finding the app folder: %w", err)
	}
	appDir, err := splunkapp.FindAppDir(exe, "alert_actions.conf")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAdminConf, err)
	}
	admin, err := AdminSettings(getenv("SPLUNK_HOME"), appDir)
	if err != nil {
		return err
	}
	for _, ig := range applyAdmin(a.p.Configuration, admin) {
		// Paths and a boolean: no secret in these values.
		a.logf("WARN", "%s %q from the alert's parameters ignored: it is set in alert_actions.conf only, where it is %q", ig.Key, ig.Payload, ig.Admin)
	}
	if a.cfg, err = ParseConfig(a.p.Configuration); err != nil {
		return err
	}
	if a.cfg.SpoolDir == "" {
		// SPLUNK_HOME is set: AdminSettings needs it.
		a.cfg.SpoolDir = filepath.Join(getenv("SPLUNK_HOME"), "var", "spool", "t1102_forward")
	}
	if a.client, err = HTTPClient(a.cfg.URL, a.cfg.CAFile, a.cfg.AllowHTTP, 60*time.Second); err != nil {
		return err
	}
	// One spool per destination, so events wait for the receiver they are for.
	a.spool = Spool{Dir: filepath.Join(a.cfg.SpoolDir, spoolName(a.cfg))}
	return nil
}

// backoff is the wait between attempts at a batch.
var backoff = Backoff{First: 500 * time.Millisecond, Max: 30 * time.Second}

// forward spools this run's results and sends what the spool holds.
func (a *action) forward(ctx context.Context) error {
	// Spool the new results first: from here on nothing the spool took is
	// lost. What it cannot take (a read-only or full filesystem) is sent
	// directly, before anything else, and the log counts what of it the
	// receiver did not take.
	var direct []Event
	queue, spoolErr := a.spool.Pending()
	if spoolErr != nil {
		direct = a.events
	} else {
		direct, spoolErr = a.spool.Put(a.events, queue.IDs, a.cfg.BatchSize)
		if spoolErr != nil && len(direct) == 0 {
			// Every batch is in place; only the folder's sync failed.
			a.logf("WARN", "%v; the events are spooled but may not survive a system crash", spoolErr)
			spoolErr = nil
		}
	}
	if len(direct) == 0 {
		return a.drain(ctx, queue.Bad)
	}
	// spoolFailed is the error of a spool that did not take this run's
	// results, code the exit status.
	spoolFailed := func(code, delivered int) error {
		return exit.Errorf(code, "spool %s failed (%v): %d results of this run not spooled: %d delivered directly, %d lost; until the spool folder is fixed, results have nowhere to wait while the receiver is down",
			a.spool.Dir, spoolErr, len(direct), delivered, len(direct)-delivered)
	}
	delivered, err := a.sendDirect(ctx, direct)
	if err != nil {
		a.logf("ERROR", "%v", err)
		return spoolFailed(ExitSpool, delivered)
	}
	if len(queue.Batches) == 0 && len(direct) == len(a.events) {
		// Nothing was spooled, by this run or before it: no spool to drain.
		return spoolFailed(ExitSpool, delivered)
	}
	// The spool's own outcome first, then the spool's failure: the exit
	// status is the drain's, or ExitSpool if it succeeded.
	code := ExitSpool
	if err := a.drain(ctx, queue.Bad); err != nil {
		a.logf("ERROR", "%v", err)
		code = exit.Code(err)
	}
	return spoolFailed(code, delivered)
}

// sendDirect sends events that the spool did not take, and returns how
// many the receiver took.
func (a *action) sendDirect(ctx context.Context, direct []Event) (delivered int, err error) {
	if err := a.connect(ctx); err != nil {
		return 0, err
	}
	var batches []Batch
	for start := 0; start < len(direct); start += a.cfg.BatchSize {
		batches = append(batches, Batch{Events: direct[start:min(start+a.cfg.BatchSize, len(direct))]})
	}
	err = Deliver(ctx, a.dest, batches, backoff, func(b Batch) error { delivered += len(b.Events); return nil },
		func(Batch) error { return nil }, a.logf)
	return delivered, err
}

// connect reads the credential and builds the destination; its errors
// carry their exit status.
func (a *action) connect(ctx context.Context) error {
	var token splunkapp.Secret
	if a.cfg.Credential != "" {
		var err error
		if token, err = Secret(ctx, a.p.ServerURI, a.p.App, a.cfg.Credential, a.p.SessionKey); err != nil {
			return exit.With(ExitSecret, err)
		}
	}
	switch a.cfg.Destination {
	case "hec":
		a.dest = &HEC{URL: a.cfg.URL, Token: token, Index: a.cfg.Index, Sourcetype: a.cfg.Sourcetype, Source: a.cfg.Source, Client: a.client}
	case "scs":
		u, _ := url.Parse(a.cfg.URL) // checked by HTTPClient
		scs, err := NewSCS(u.Scheme, u.Host, a.cfg.Tenant, token, a.client.Transport, 60*time.Second)
		if err != nil {
			return exit.With(ExitUsage, err)
		}
		scs.Source, scs.Sourcetype = a.cfg.Source, a.cfg.Sourcetype
		a.dest = scs
	default:
		a.dest = &Webhook{URL: a.cfg.URL, Token: token, Client: a.client}
	}
	return nil
}

// drain sends what waits in the spool, this run's spooled results
// included; bad are damaged spool files found before.
func (a *action) drain(ctx context.Context, bad []string) error {
	// One run at a time sends from the spool. A live run ends within
	// max_time plus one request's timeout, so an older lock belonged to a
	// run splunkd killed (maxtime).
	unlock, err := a.spool.Lock(ctx, a.cfg.MaxTime+2*time.Minute)
	if errors.Is(err, ErrSpool) {
		return exit.Errorf(ExitSpool, "%v; what was spooled before waits in %s", err, a.spool.Dir)
	}
	if err != nil {
		return exit.Errorf(ExitUnavailable, "%v; this run's events wait in %s for the next run", err, a.spool.Dir)
	}
	defer unlock()
	queue, err := a.spool.Pending()
	if err != nil {
		return exit.With(ExitSpool, err)
	}
	for _, f := range append(bad, queue.Bad...) {
		a.logf("WARN", "damaged spool file set aside, not sent: %s", f)
	}
	batches := queue.Batches
	total := 0
	for _, b := range batches {
		total += len(b.Events)
	}
	if a.dest == nil {
		if err := a.connect(ctx); err != nil {
			return exit.Errorf(exit.Code(err), "%v; %d events wait in %s", err, total, a.spool.Dir)
		}
	}
	sent := 0
	err = Deliver(ctx, a.dest, batches, backoff,
		func(b Batch) error { sent += len(b.Events); return a.spool.Done(b) }, a.spool.SetAside, a.logf)
	switch {
	case err == nil:
		a.logf("INFO", "delivered %d events in %d batches (%d results in this run) to %s %s", sent, len(batches), len(a.events), a.cfg.Destination, redactURL(a.cfg.URL))
		return nil
	case errors.Is(err, ErrRejected):
		return exit.Errorf(ExitRefused, "%v; %d delivered", err, sent)
	case errors.Is(err, ErrPermanent):
		return exit.Errorf(ExitRefused, "%v; %d delivered, %d wait in %s", err, sent, total-sent, a.spool.Dir)
	case errors.Is(err, ErrSpool):
		return exit.With(ExitSpool, err)
	default:
		return exit.Errorf(ExitUnavailable, "%v; %d delivered, %d wait in %s for the next run", err, sent, total-sent, a.spool.Dir)
	}
}

// spoolName names a destination's spool folder from its kind, its host
// and a hash of its whole URL and tenant: one folder per receiver, and no
// secret from the URL's path or query in a name that logs show.
func spoolName(c Config) string {
	var b strings.Builder
	for _, r := range c.Destination + "_" + redactURL(c.URL) {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	sum := sha256.Sum256([]byte(c.URL + "\x00" + c.Tenant))
	return b.String() + "_" + hex.EncodeToString(sum[:6])
}
