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

// Main runs the alert action and returns its exit status. args are the
// command-line arguments (splunkd passes --execute), env looks up
// environment variables (SPLUNK_HOME: the administrator's
// etc/system/local/alert_actions.conf and the default spool folder).
func Main(args []string, stdin io.Reader, stderr io.Writer, env func(string) string) int {
	logf := func(level, format string, a ...any) {
		fmt.Fprintf(stderr, "%s t1102_forward: %s\n", level, fmt.Sprintf(format, a...))
	}
	if len(args) == 0 || args[0] != "--execute" {
		logf("ERROR", "this is a Splunk alert action: splunkd runs it as \"t1102_forward --execute\" with the alert's JSON payload on stdin (alert_actions.conf payload_format = json)")
		return ExitUsage
	}
	p, err := ReadPayload(stdin)
	if err != nil {
		logf("ERROR", "%v", err)
		return ExitUsage
	}
	// The results first, read only: a setting that stops the run then says
	// how many results it leaves undelivered.
	var events []Event
	switch {
	case p.ResultsFile != "":
		results, err := ReadResults(p.ResultsFile)
		if err != nil {
			logf("ERROR", "%v", err)
			return ExitResults
		}
		events = Events(p, results)
	case len(p.Result) > 0:
		// No results file (an ad hoc sendalert can have none): the payload's
		// own result row.
		events = Events(p, []Result{p.Result})
	}
	// Every setting is checked before a token is fetched or anything is
	// spooled: events spooled for a URL that cannot work would wait in a
	// folder (named after that URL) that no corrected run reads.
	refuse := func(err error) int {
		logf("ERROR", "%v; %d results of this run not delivered (nothing spooled, nothing sent)", err, len(events))
		return ExitUsage
	}
	// spool_dir, ca_file and allow_http are the administrator's: read from
	// alert_actions.conf, whatever the payload says (see AdminKeys).
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return refuse(fmt.Errorf("finding the app folder: %w", err))
	}
	appDir, err := splunkapp.FindAppDir(exe, "alert_actions.conf")
	if err != nil {
		return refuse(fmt.Errorf("%w: %w", ErrAdminConf, err))
	}
	admin, err := AdminSettings(env("SPLUNK_HOME"), appDir)
	if err != nil {
		return refuse(err)
	}
	for _, ig := range applyAdmin(p.Configuration, admin) {
		// Paths and a boolean: no secret in these values.
		logf("WARN", "%s %q from the alert's parameters ignored: it is set in alert_actions.conf only, where it is %q", ig.Key, ig.Payload, ig.Admin)
	}
	cfg, err := ParseConfig(p.Configuration)
	if err != nil {
		return refuse(err)
	}
	if cfg.SpoolDir == "" {
		// SPLUNK_HOME is set: AdminSettings needs it.
		cfg.SpoolDir = filepath.Join(env("SPLUNK_HOME"), "var", "spool", "t1102_forward")
	}
	client, err := HTTPClient(cfg.URL, cfg.CAFile, cfg.AllowHTTP, 60*time.Second)
	if err != nil {
		return refuse(err)
	}
	// One spool per destination, so events wait for the receiver they are for.
	spool := Spool{Dir: filepath.Join(cfg.SpoolDir, spoolName(cfg))}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.MaxTime)
	defer cancel()

	// Spool the new results first: from here on nothing the spool took is
	// lost. What it cannot take (a read-only or full filesystem) is sent
	// directly, before anything else, and the log counts what of it the
	// receiver did not take.
	var direct []Event
	queue, spoolErr := spool.Pending()
	if spoolErr != nil {
		direct = events
	} else {
		direct, spoolErr = spool.Put(events, queue.IDs, cfg.BatchSize)
		if spoolErr != nil && len(direct) == 0 {
			// Every batch is in place; only the folder's sync failed.
			logf("WARN", "%v; the events are spooled but may not survive a system crash", spoolErr)
			spoolErr = nil
		}
	}
	var dest Destination
	connect := func() (int, error) {
		var token splunkapp.Secret
		if cfg.Credential != "" {
			var err error
			if token, err = Secret(ctx, p.ServerURI, p.App, cfg.Credential, p.SessionKey); err != nil {
				return ExitSecret, err
			}
		}
		switch cfg.Destination {
		case "hec":
			dest = &HEC{URL: cfg.URL, Token: token, Index: cfg.Index, Sourcetype: cfg.Sourcetype, Source: cfg.Source, Client: client}
		case "scs":
			u, _ := url.Parse(cfg.URL) // checked by HTTPClient
			scs, err := NewSCS(u.Scheme, u.Host, cfg.Tenant, token, client.Transport, 60*time.Second)
			if err != nil {
				return ExitUsage, err
			}
			scs.Source, scs.Sourcetype = cfg.Source, cfg.Sourcetype
			dest = scs
		default:
			dest = &Webhook{URL: cfg.URL, Token: token, Client: client}
		}
		return ExitOK, nil
	}
	backoff := Backoff{First: 500 * time.Millisecond, Max: 30 * time.Second}
	// spoolFailed reports a spool that did not take this run's results and
	// returns the exit status for it.
	spoolFailed := func(delivered int) int {
		logf("ERROR", "spool %s failed (%v): %d results of this run not spooled: %d delivered directly, %d lost; until the spool folder is fixed, results have nowhere to wait while the receiver is down",
			spool.Dir, spoolErr, len(direct), delivered, len(direct)-delivered)
		return ExitSpool
	}
	delivered := 0 // of direct
	if len(direct) > 0 {
		if _, err := connect(); err != nil {
			logf("ERROR", "%v", err)
			return spoolFailed(0)
		}
		var batches []Batch
		for start := 0; start < len(direct); start += cfg.BatchSize {
			batches = append(batches, Batch{Events: direct[start:min(start+cfg.BatchSize, len(direct))]})
		}
		err := Deliver(ctx, dest, batches, backoff, func(b Batch) error { delivered += len(b.Events); return nil },
			func(Batch) error { return nil }, logf)
		if err != nil {
			logf("ERROR", "%v", err)
			return spoolFailed(delivered)
		}
		if len(queue.Batches) == 0 && len(direct) == len(events) {
			// Nothing was spooled, by this run or before it: no spool to drain.
			return spoolFailed(delivered)
		}
	}
	// drain sends what waits in the spool, this run's spooled results
	// included.
	drain := func() int {
		// One run at a time sends from the spool. A live run ends within
		// max_time plus one request's timeout, so an older lock belonged to a
		// run splunkd killed (maxtime).
		unlock, err := spool.Lock(ctx, cfg.MaxTime+2*time.Minute)
		if errors.Is(err, ErrSpool) {
			logf("ERROR", "%v; what was spooled before waits in %s", err, spool.Dir)
			return ExitSpool
		}
		if err != nil {
			logf("ERROR", "%v; this run's events wait in %s for the next run", err, spool.Dir)
			return ExitUnavailable
		}
		defer unlock()
		bad := queue.Bad
		if queue, err = spool.Pending(); err != nil {
			logf("ERROR", "%v", err)
			return ExitSpool
		}
		for _, f := range append(bad, queue.Bad...) {
			logf("WARN", "damaged spool file set aside, not sent: %s", f)
		}
		batches := queue.Batches
		total := 0
		for _, b := range batches {
			total += len(b.Events)
		}
		if dest == nil {
			if code, err := connect(); err != nil {
				logf("ERROR", "%v; %d events wait in %s", err, total, spool.Dir)
				return code
			}
		}
		sent := 0
		err = Deliver(ctx, dest, batches, backoff,
			func(b Batch) error { sent += len(b.Events); return spool.Done(b) }, spool.SetAside, logf)
		switch {
		case err == nil:
			logf("INFO", "delivered %d events in %d batches (%d results in this run) to %s %s", sent, len(batches), len(events), cfg.Destination, redactURL(cfg.URL))
			return ExitOK
		case errors.Is(err, ErrRejected):
			logf("ERROR", "%v; %d delivered", err, sent)
			return ExitRefused
		case errors.Is(err, ErrPermanent):
			logf("ERROR", "%v; %d delivered, %d wait in %s", err, sent, total-sent, spool.Dir)
			return ExitRefused
		case errors.Is(err, ErrSpool):
			logf("ERROR", "%v", err)
			return ExitSpool
		default:
			logf("ERROR", "%v; %d delivered, %d wait in %s for the next run", err, sent, total-sent, spool.Dir)
			return ExitUnavailable
		}
	}
	code := drain()
	if len(direct) > 0 {
		spoolFailed(delivered)
		if code == ExitOK {
			code = ExitSpool
		}
	}
	return code
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
