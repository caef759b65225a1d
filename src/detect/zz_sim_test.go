package detect

import (
	"fmt"
	"math/rand"
	"testing"
)

func TestSimPoll(t *testing.T) {
	for _, minReq := range []int{4} {
		for _, thr := range []float64{0.6, 0.65, 0.7} {
			// implants
			worst := 1.0
			miss := 0
			total := 0
			for _, P := range []float64{60, 300, 1800, 3600, 7200, 21600} {
				for _, j := range []float64{0, 0.1, 0.25, 0.5} {
					for _, sym := range []bool{false, true} {
						for seed := int64(0); seed < 50; seed++ {
							rng := rand.New(rand.NewSource(seed))
							var ts []float64
							tm := rng.Float64() * P
							for tm < 86400 {
								ts = append(ts, tm)
								s := P * (1 - j*rng.Float64())
								if sym {
									s = P * (1 + j*(2*rng.Float64()-1))
								}
								tm += s
							}
							p := Poll(ts, minReq, thr)
							total++
							if !p.Regular {
								miss++
							}
							if p.Score < worst {
								worst = p.Score
							}
						}
					}
				}
			}
			// poisson
			fp := map[int][2]int{}
			for _, n := range []int{4, 5, 6, 8, 12, 30, 100} {
				for seed := int64(0); seed < 2000; seed++ {
					rng := rand.New(rand.NewSource(seed))
					var ts []float64
					for i := 0; i < n; i++ {
						ts = append(ts, rng.Float64()*86400)
					}
					p := Poll(ts, minReq, thr)
					c := fp[n]
					c[1]++
					if p.Regular {
						c[0]++
					}
					fp[n] = c
				}
			}
			fmt.Printf("min=%d thr=%.2f implants missed %d/%d worst %.3f; poisson FP:", minReq, thr, miss, total, worst)
			for _, n := range []int{4, 5, 6, 8, 12, 30, 100} {
				fmt.Printf(" n=%d %.3f", n, float64(fp[n][0])/float64(fp[n][1]))
			}
			fmt.Println()
		}
	}
}
