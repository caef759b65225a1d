package correlate

import (
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/t1102app/t1102/src/chunked"
)

// The fleet baseline: for each pair of process identity (generalised
// image path and PE original name) and service, how many hosts showed it
// and since when. output=fleet writes it from the state and the previous
// baseline; the judge (input=state) reads it. Hosts are counted with a
// sketch: exactly up to 64 hosts (their hashes), then as HyperLogLog with
// 256 registers (about 6.5 % off; 512 bytes per pair however many hosts).
// Both merge, so every run can fold the state in again without counting a
// host twice.
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

const (
	hllRegisters = 256 // 2^8
	// maxExact is how many hosts a sketch counts exactly (by their 64-bit
	// hashes: collisions are negligible) before it turns into HyperLogLog
	// registers, as HyperLogLog++'s sparse form does.
	maxExact = 64
)

// sketch counts distinct host names: exactly while there are at most
// maxExact, then as a HyperLogLog sketch. The zero value is empty.
type sketch struct {
	exact []uint64 // sorted hashes, while regs is nil
	regs  *[hllRegisters]uint8
}

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

func (s *sketch) add(host string) { s.addHash(hostHash(host)) }

func (s *sketch) addHash(x uint64) {
	if s.regs != nil {
		i := x >> 56                                     // the first 8 bits pick the register
		rho := uint8(bits.LeadingZeros64(x<<8|1<<7)) + 1 // leading zeros of the rest, plus one
		if rho > s.regs[i] {
			s.regs[i] = rho
		}
		return
	}
	i := sort.Search(len(s.exact), func(i int) bool { return s.exact[i] >= x })
	if i < len(s.exact) && s.exact[i] == x {
		return
	}
	s.exact = append(s.exact, 0)
	copy(s.exact[i+1:], s.exact[i:])
	s.exact[i] = x
	if len(s.exact) > maxExact {
		s.regs = new([hllRegisters]uint8)
		for _, h := range s.exact {
			s.addHash(h)
		}
		s.exact = nil
	}
}

func (s *sketch) merge(o *sketch) {
	if o.regs != nil {
		if s.regs == nil {
			s.regs = new([hllRegisters]uint8)
			for _, h := range s.exact {
				s.addHash(h)
			}
			s.exact = nil
		}
		for i, v := range o.regs {
			if v > s.regs[i] {
				s.regs[i] = v
			}
		}
		return
	}
	for _, h := range o.exact {
		s.addHash(h)
	}
}

// count estimates the number of distinct hosts added: exact up to
// maxExact, then HyperLogLog's estimate (Flajolet et al. 2007, with the
// linear-counting correction for small counts).
func (s *sketch) count() int {
	if s.regs == nil {
		return len(s.exact)
	}
	const m = float64(hllRegisters)
	sum, zeros := 0.0, 0
	for _, v := range s.regs {
		sum += math.Ldexp(1, -int(v))
		if v == 0 {
			zeros++
		}
	}
	e := 0.7213 / (1 + 1.079/m) * m * m / sum
	if e <= 2.5*m && zeros > 0 {
		e = m * math.Log(m/float64(zeros)) // linear counting
	}
	return max(int(math.Round(e)), maxExact+1)
}

// equal reports whether two sketches hold the same.
func (s *sketch) equal(o *sketch) bool {
	if (s.regs == nil) != (o.regs == nil) {
		return false
	}
	if s.regs != nil {
		return *s.regs == *o.regs
	}
	return slices.Equal(s.exact, o.exact)
}

// appendSketch writes the sketch: "e" and 16 hex digits per host hash
// while exact, else "d" and the 256 registers as hex.
func appendSketch(b []byte, s *sketch) []byte {
	if s.regs == nil {
		b = append(b, 'e')
		for _, h := range s.exact {
			b = fmt.Appendf(b, "%016x", h)
		}
		return b
	}
	b = append(b, 'd')
	return hex.AppendEncode(b, s.regs[:])
}

func parseSketch(v []byte) (sketch, error) {
	var s sketch
	if len(v) == 0 {
		return s, errors.New("empty")
	}
	body := v[1:]
	switch v[0] {
	case 'e':
		if len(body)%16 != 0 || len(body)/16 > maxExact {
			return s, fmt.Errorf("exact sketch: want at most %d hashes of 16 hex digits", maxExact)
		}
		for i := 0; i < len(body); i += 16 {
			h, err := strconv.ParseUint(string(body[i:i+16]), 16, 64)
			if err != nil {
				return s, err
			}
			s.addHash(h)
		}
	case 'd':
		if len(body) != 2*hllRegisters {
			return s, fmt.Errorf("dense sketch: want %d hex digits", 2*hllRegisters)
		}
		s.regs = new([hllRegisters]uint8)
		if _, err := hex.Decode(s.regs[:], body); err != nil {
			return sketch{}, err
		}
		for _, r := range s.regs {
			if r > 57 {
				return sketch{}, fmt.Errorf("register value %d out of range", r)
			}
		}
	default:
		return s, fmt.Errorf("want e or d first, got %q", v[0])
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
