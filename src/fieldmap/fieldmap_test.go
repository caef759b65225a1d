package fieldmap

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestArg(t *testing.T) {
	tests := []struct {
		name   string
		args   [][2]string
		field  Field
		want   string
		err    string
		reason string
	}{
		{"default", nil, Image, "Image", "", "Sysmon's names without arguments"},
		{"cim", [][2]string{{"fields", "cim"}}, CommandLine, "process", "", "the Endpoint data model's name"},
		{"cim has no eventcode", [][2]string{{"fields", "cim"}}, EventCode, "", "", "CIM events carry no EventCode: nothing is read"},
		{"back to sysmon", [][2]string{{"fields", "cim"}, {"fields", "sysmon"}}, Image, "Image", "", "the last fields= counts"},
		{"rename", [][2]string{{"image_field", "app"}}, Image, "app", "", "<name>_field= names the field"},
		{"rename wins over fields=", [][2]string{{"image_field", "app"}, {"fields", "cim"}}, Image, "app", "", "whatever the order"},
		{"correlate's fields", [][2]string{{"processguid_field", "guid"}}, ProcessGuid, "guid", "", "the fields only t1102correlate reads are renamed the same way"},
		{"bad fields", [][2]string{{"fields", "ecs"}}, Image, "", `fields="ecs"`, "two name sets exist"},
		{"unknown field", [][2]string{{"imag_field", "x"}}, Image, "", `unknown field argument "imag_field"`, "typos are errors"},
		{"empty field", [][2]string{{"image_field", ""}}, Image, "", "needs a field name", "a field needs a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NotEmpty(t, tt.reason)
			var m Map
			var err error
			for _, a := range tt.args {
				var handled bool
				handled, err = m.Arg(a[0], a[1])
				require.True(t, handled, "%s is a field argument", a[0])
				if err != nil {
					break
				}
			}
			if tt.err != "" {
				require.ErrorIs(t, err, ErrField)
				require.ErrorContains(t, err, tt.err, tt.reason)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, m.Name(tt.field), tt.reason)
		})
	}
	var m Map
	handled, err := m.Arg("filter", "true")
	require.False(t, handled, "other arguments are the command's")
	require.NoError(t, err)
	for f := range NumFields {
		require.NotEmpty(t, names[f].arg, "every field has an argument name")
		require.NotEmpty(t, names[f].sysmon, "every field has a Sysmon name")
	}
}

// FuzzArg: any argument is handled or not, without panicking; a handled
// one either fails with ErrField or leaves every field with a name or the
// empty name CIM gives the fields it lacks.
func FuzzArg(f *testing.F) {
	f.Add("fields", "cim")
	f.Add("image_field", "app")
	f.Add("_field", "")
	f.Fuzz(func(t *testing.T, name, value string) {
		var m Map
		handled, err := m.Arg(name, value)
		if err != nil && (!handled || !errors.Is(err, ErrField)) {
			t.Fatalf("%s=%s: %v (handled %v)", name, value, err, handled)
		}
		if handled && err == nil && strings.HasSuffix(name, "_field") && len(m.Renamed) != 1 {
			t.Fatalf("%s=%s renamed %v", name, value, m.Renamed)
		}
	})
}
