package correlate

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
)

// The fleet baseline: for each pair of process identity (generalised
// image path and PE original name) and service, how many hosts showed it
// and since when. output=fleet writes it from the state and the previous
// baseline; the judge (input=state) reads it. Hosts are counted with a
// HyperLogLog sketch of 256 registers (Flajolet et al. 2007, with the
// linear-counting correction for small counts): exact in practice up to a
// few dozen hosts, about 6.5 % off beyond, a few hundred bytes per pair
// however many hosts, and mergeable, so every run can fold the state in
// again without counting a host twice.
const (
	fIdentity = iota
	fService
	fHosts
	fFirst
	fLast
	nFleet
)

var fleetFields = [nFleet]string{
	fIdentity: "t1102f_identity", fService: "t1102f_service", fHosts: "t1102f_hosts", fFirst: "t1102f_first", fLast: "t1102f_last",
}

// errFleetRow is wrapped by the errors of a baseline row that cannot be
// read.
var errFleetRow = errors.New("bad fleet baseline row")

const hllRegisters = 256 // 2^8

// sketch is a HyperLogLog sketch of host names.
type sketch [hllRegisters]uint8

func hostHash(host string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.ToLower(host)))
	// splitmix64's finaliser: FNV's high bits alone are poorly mixed.
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func (s *sketch) add(host string) {
	x := hostHash(host)
	i := x >> 56                                     // the first 8 bits pick the register
	rho := uint8(bits.LeadingZeros64(x<<8|1<<7)) + 1 // leading zeros of the rest, plus one
	if rho > s[i] {
		s[i] = rho
	}
}

func (s *sketch) merge(o *sketch) {
	for i, v := range o {
		if v > s[i] {
			s[i] = v
		}
	}
}

// count estimates the number of distinct hosts added.
func (s *sketch) count() int {
	const m = float64(hllRegisters)
	sum, zeros := 0.0, 0
	for _, v := range s {
		sum += math.Ldexp(1, -int(v))
		if v == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros)) // linear counting
	}
	return int(math.Round(e))
}

// appendSketch writes the sketch: "s" and four hex digits per register
// set (index, value) while few are, else "d" and all 256 as hex.
func appendSketch(b []byte, s *sketch) []byte {
	set := 0
	for _, v := range s {
		if v > 0 {
			set++
		}
	}
	if set*4 < hllRegisters*2 {
		b = append(b, 's')
		for i, v := range s {
			if v > 0 {
				b = append(b, hexDigits[i>>4], hexDigits[i&15], hexDigits[v>>4], hexDigits[v&15])
			}
		}
		return b
	}
	b = append(b, 'd')
	return hex.AppendEncode(b, s[:])
}

const hexDigits = "0123456789abcdef"

func parseSketch(v []byte) (sketch, error) {
	var s sketch
	if len(v) == 0 {
		return s, errors.New("empty")
	}
	body := v[1:]
	switch v[0] {
	case 's':
		if len(body)%4 != 0 {
			return s, errors.New("sparse sketch: want 4 hex digits per register")
		}
		raw := make([]byte, len(body)/2)
		if _, err := hex.Decode(raw, body); err != nil {
			return s, err
		}
		for i := 0; i < len(raw); i += 2 {
			if raw[i+1] > 57 {
				return s, fmt.Errorf("register value %d out of range", raw[i+1])
			}
			s[raw[i]] = raw[i+1]
		}
	case 'd':
		if len(body) != 2*hllRegisters {
			return s, fmt.Errorf("dense sketch: want %d hex digits", 2*hllRegisters)
		}
		if _, err := hex.Decode(s[:], body); err != nil {
			return s, err
		}
		for _, r := range s {
			if r > 57 {
				return s, fmt.Errorf("register value %d out of range", r)
			}
		}
	default:
		return s, fmt.Errorf("want s or d first, got %q", v[0])
	}
	return s, nil
}

// pair is one row of the baseline.
type pair struct {
	hosts       sketch
	first, last float64
}

type pairKey struct{ identity, category string }

func (p *pair) merge(o *pair) {
	p.hosts.merge(&o.hosts)
	if o.first > 0 && (p.first == 0 || o.first < p.first) {
		p.first = o.first
	}
	p.last = math.Max(p.last, o.last)
}

func readPair(row chunked.Row, in *[nFleet]int) (pairKey, *pair, error) {
	k := pairKey{string(row.Get(in[fIdentity])), string(row.Get(in[fService]))}
	if k.identity == "" || k.category == "" {
		return k, nil, fmt.Errorf("%w: %s and %s are required", errFleetRow, fleetFields[fIdentity], fleetFields[fService])
	}
	p := &pair{}
	var err error
	if p.hosts, err = parseSketch(row.Get(in[fHosts])); err != nil {
		return k, nil, fmt.Errorf("%w: %s: %w", errFleetRow, fleetFields[fHosts], err)
	}
	for _, f := range [...]struct {
		c   int
		dst *float64
	}{{fFirst, &p.first}, {fLast, &p.last}} {
		v := string(row.Get(in[f.c]))
		if *f.dst, err = strconv.ParseFloat(v, 64); err != nil || math.IsNaN(*f.dst) || math.IsInf(*f.dst, 0) || *f.dst <= 0 {
			return k, nil, fmt.Errorf("%w: %s=%q: want epoch seconds", errFleetRow, fleetFields[f.c], v)
		}
	}
	return k, p, nil
}

func writePair(w *chunked.TableWriter, col *[nFleet]int, k pairKey, p *pair, buf []byte) []byte {
	w.SetString(col[fIdentity], k.identity)
	w.SetString(col[fService], k.category)
	buf = appendSketch(buf[:0], &p.hosts)
	w.Set(col[fHosts], buf)
	w.SetString(col[fFirst], ftoa(p.first))
	w.SetString(col[fLast], ftoa(p.last))
	return buf
}
