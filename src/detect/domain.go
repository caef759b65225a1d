package detect

import (
	"bytes"
	"strings"
)

// DomainSet matches host names against a list of domains exactly: a host
// matches an entry when, lower-cased and without a trailing dot, it equals
// the entry or ends with "." + entry. "raw.githubusercontent.com" matches
// "githubusercontent.com"; "raw.githubusercontent.com.evil.example" and
// "evilgithub.com" do not match "github.com". Lookup walks the host's label
// suffixes, longest first, so the most specific entry wins and the cost is
// one map probe per label.
type DomainSet[V any] struct {
	entries map[string]domainEntry[V]
}

// domainEntry keeps the entry's own string beside its value, so that a
// match returns it without converting the host's bytes.
type domainEntry[V any] struct {
	domain string
	v      V
}

// NewDomainSet returns an empty set.
func NewDomainSet[V any]() *DomainSet[V] {
	return &DomainSet[V]{entries: make(map[string]domainEntry[V])}
}

// Add adds a domain (normalised like a host) with its value; a later Add of
// the same domain replaces the value.
func (s *DomainSet[V]) Add(domain string, v V) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	s.entries[d] = domainEntry[V]{d, v}
}

// Len returns the number of domains.
func (s *DomainSet[V]) Len() int { return len(s.entries) }

// Match returns the value of the most specific entry host falls under, the
// entry itself, and whether there was one. host must already be lower-case
// (see [NormalizeHost]).
func (s *DomainSet[V]) Match(host []byte) (v V, domain string, ok bool) {
	for h := host; len(h) > 0; {
		if e, ok := s.entries[string(h)]; ok { // no allocation: map index with string(bytes)
			return e.v, e.domain, true
		}
		i := bytes.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	var zero V
	return zero, "", false
}

// NormalizeHost appends host to dst lower-cased (ASCII), without a trailing
// dot, without a port, without surrounding brackets or spaces. It returns
// dst unchanged if what is left is not a plausible DNS name (letters,
// digits, '-', '_', '.').
func NormalizeHost(dst, host []byte) []byte {
	host = bytes.TrimSpace(host)
	if i := bytes.LastIndexByte(host, ':'); i >= 0 && bytes.Count(host, []byte{':'}) == 1 {
		host = host[:i] // host:port (IPv6 literals have several colons)
	}
	host = bytes.TrimSuffix(host, []byte("."))
	n := len(dst)
	for _, c := range host {
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '.', c == '_':
		default:
			return dst[:n]
		}
		dst = append(dst, c)
	}
	return dst
}
