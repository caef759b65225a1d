package forward

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/splunk/splunk-cloud-sdk-go/sdk"
	"github.com/splunk/splunk-cloud-sdk-go/services"
	"github.com/splunk/splunk-cloud-sdk-go/services/ingest"
	"github.com/splunk/splunk-cloud-sdk-go/util"

	"github.com/t1102app/t1102/src/splunkapp"
)

// SCS sends events to the Splunk Cloud Services ingest API
// (POST /<tenant>/ingest/v1beta2/events) through Splunk's Go SDK, which
// takes the event id and uses it to de-duplicate.
type SCS struct {
	client             *sdk.Client
	token              splunkapp.Secret // redacted from the receiver's messages
	Source, Sourcetype string
}

// NewSCS builds the SDK client. host is the API host (host[:port]) the
// requests go to, as the SDK's OverrideHost; transport carries the TLS
// settings of [HTTPClient].
func NewSCS(scheme, host, tenant string, token splunkapp.Secret, transport http.RoundTripper, timeout time.Duration) (*SCS, error) {
	if tenant == "" {
		return nil, fmt.Errorf("%w: tenant is required for scs", ErrConfig)
	}
	c, err := sdk.NewClient(&services.Config{
		Token: token.Reveal(), Tenant: tenant, OverrideHost: host, Scheme: scheme,
		Timeout: timeout, RoundTripper: transport,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: scs client: %v", ErrConfig, err)
	}
	return &SCS{client: c, token: token}, nil
}

// Send posts one batch. The SDK call takes no context; the client's
// timeout bounds it.
func (s *SCS) Send(ctx context.Context, events []Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	batch := make([]ingest.Event, len(events))
	for i := range events {
		ev := &events[i]
		batch[i] = ingest.Event{Body: ev, Id: &ev.ID, Source: &s.Source, Sourcetype: &s.Sourcetype}
		if ev.Host != "" {
			batch[i].Host = &ev.Host
		}
		if ev.Time > 0 {
			ms := int64(ev.Time * 1000)
			batch[i].Timestamp = &ms
		}
	}
	_, err := s.client.IngestService.PostEvents(batch)
	if err == nil {
		return nil
	}
	var he *util.HTTPError
	if errors.As(err, &he) {
		return classify(he.HTTPStatusCode, he.Message, "Bearer "+s.token.Reveal(), s.token.Reveal())
	}
	return fmt.Errorf("scs ingest: %w", err)
}
