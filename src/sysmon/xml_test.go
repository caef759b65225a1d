package sysmon

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadEvents(t *testing.T) {
	in := `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>22</EventID><TimeCreated SystemTime='2020-10-23T02:36:43.547Z'/><Computer>WKS5</Computer></System><EventData><Data Name='QueryName'>raw.githubusercontent.com</Data><Data Name='QueryResults'>::ffff:185.199.108.133;</Data><Data Name='Image'>C:\x\a&amp;b.exe</Data><Data Name='Empty'></Data><Data Name='Quote'>say "hi" &apos;x&apos;</Data></EventData></Event>

<Event><System><EventID>1</EventID></System></Event>
`
	evs, err := ReadEvents(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, evs, 2)
	require.Equal(t, "22", evs[0].Get("EventCode"))
	require.Equal(t, "WKS5", evs[0].Get("host"))
	require.Equal(t, `C:\x\a&b.exe`, evs[0].Get("Image"), "entities decoded")
	require.Equal(t, `say "hi" 'x'`, evs[0].Get("Quote"))
	require.Equal(t, "", evs[0].Get("Empty"))
	require.Equal(t, "1", evs[1].Get("EventCode"))

	_, err = ReadEvents(strings.NewReader("<Event><System>\n"))
	require.ErrorIs(t, err, ErrEvent)
	require.ErrorContains(t, err, "line 1")
}
