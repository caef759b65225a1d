// Package fieldmap names the input fields the search commands read, by
// logical name, and parses the arguments that say where to read them from:
// fields=sysmon|cim and <name>_field=<field>. Both t1102score and
// t1102correlate take these arguments, with one meaning.
package fieldmap

import (
	"errors"
	"fmt"
	"strings"
)

// Field is a logical input field.
type Field int

// The logical fields. The array of their names is keyed by them, so a
// field cannot drift to another name.
const (
	EventCode Field = iota
	Image
	ParentImage
	OriginalFileName
	Description
	Product
	CommandLine
	DestinationHostname
	QueryName
	User
	Host
	ProcessGuid
	Time
	UtcTime
	DestinationIp
	QueryResults
	Company
	// Fields of the telemetry beyond Sysmon 1, 3 and 22: Sysmon's process
	// id (every Sysmon event) and file creation (11); PowerShell script
	// block logging (4104) with its Execution ProcessID and Security
	// UserID; Security 4698, a scheduled task created.
	ProcessId
	TargetFilename
	ScriptBlockText
	ScriptBlockId
	MessageNumber
	MessageTotal
	ScriptPath
	ExecutionProcessID
	UserID
	TaskName
	TaskContent
	SubjectUserName
	SubjectDomainName
	NumFields
)

// names are each field's argument name (<arg>_field=), its Sysmon name
// (the Splunk Add-on for Sysmon and this app's extractions) and its CIM
// name (Endpoint.Processes, Network_Resolution, Network_Traffic, after
// `rename Processes.* as *` or the like; "" where the models have none).
var names = [NumFields]struct{ arg, sysmon, cim string }{
	EventCode:           {"eventcode", "EventCode", ""},
	Image:               {"image", "Image", "process_path"},
	ParentImage:         {"parentimage", "ParentImage", "parent_process_path"},
	OriginalFileName:    {"originalfilename", "OriginalFileName", "original_file_name"},
	Description:         {"description", "Description", ""},
	Product:             {"product", "Product", ""},
	CommandLine:         {"commandline", "CommandLine", "process"},
	DestinationHostname: {"destinationhostname", "DestinationHostname", "dest"},
	QueryName:           {"queryname", "QueryName", "query"},
	User:                {"user", "User", "user"},
	Host:                {"host", "host", "host"},
	ProcessGuid:         {"processguid", "ProcessGuid", "process_guid"},
	Time:                {"time", "_time", "_time"},
	UtcTime:             {"utctime", "UtcTime", ""},
	DestinationIp:       {"destinationip", "DestinationIp", "dest_ip"},
	QueryResults:        {"queryresults", "QueryResults", "answer"},
	Company:             {"company", "Company", ""},
	// The names Splunk's Windows add-on extracts from XmlWinEventLog
	// (and this app's props.conf where it is absent). Case matters:
	// Sysmon's ProcessId is not the Execution element's ProcessID. No CIM
	// data model has script blocks or task definitions: under fields=cim
	// they keep these names.
	ProcessId:          {"processid", "ProcessId", "process_id"},
	TargetFilename:     {"targetfilename", "TargetFilename", "file_path"},
	ScriptBlockText:    {"scriptblocktext", "ScriptBlockText", "ScriptBlockText"},
	ScriptBlockId:      {"scriptblockid", "ScriptBlockId", "ScriptBlockId"},
	MessageNumber:      {"messagenumber", "MessageNumber", "MessageNumber"},
	MessageTotal:       {"messagetotal", "MessageTotal", "MessageTotal"},
	ScriptPath:         {"path", "Path", "Path"},
	ExecutionProcessID: {"executionprocessid", "ProcessID", "ProcessID"},
	UserID:             {"userid", "UserID", "UserID"},
	TaskName:           {"taskname", "TaskName", "TaskName"},
	TaskContent:        {"taskcontent", "TaskContent", "TaskContent"},
	SubjectUserName:    {"subjectusername", "SubjectUserName", "SubjectUserName"},
	SubjectDomainName:  {"subjectdomainname", "SubjectDomainName", "SubjectDomainName"},
}

// ErrField is wrapped by every error of a field argument.
var ErrField = errors.New("bad field argument")

// Renamed is one <name>_field=<field> argument.
type Renamed struct {
	Arg   string // the argument's name, e.g. "image_field"
	Field string // the input field it names
}

// Map says which input field each logical field is read from. Its zero
// value reads Sysmon's names.
type Map struct {
	cim     bool              // fields=cim
	renamed [NumFields]string // <name>_field= values; they win over fields=, whatever the order
	// Renamed are the <name>_field= arguments, in argument order.
	Renamed []Renamed
}

// Sysmon is the map of Sysmon's field names, the default (the zero Map).
func Sysmon() Map { return Map{} }

// Name returns the input field f is read from ("" for none).
func (m *Map) Name(f Field) string {
	if r := m.renamed[f]; r != "" {
		return r
	}
	if m.cim {
		return names[f].cim
	}
	return names[f].sysmon
}

// Arg takes one argument when it is a field argument: fields=sysmon|cim or
// <name>_field=<field>. handled is false for any other argument, which the
// command then judges itself.
func (m *Map) Arg(name, value string) (handled bool, err error) {
	if name == "fields" {
		switch value {
		case "sysmon", "cim":
			m.cim = value == "cim"
			return true, nil
		}
		return true, fmt.Errorf("%w: fields=%q: want sysmon or cim", ErrField, value)
	}
	arg, ok := strings.CutSuffix(name, "_field")
	if !ok {
		return false, nil
	}
	for f := range NumFields {
		if names[f].arg == arg {
			if value == "" {
				return true, fmt.Errorf("%w: %s needs a field name", ErrField, name)
			}
			m.renamed[f] = value
			m.Renamed = append(m.Renamed, Renamed{Arg: name, Field: value})
			return true, nil
		}
	}
	return true, fmt.Errorf("%w: unknown field argument %q (known: %s)", ErrField, name, Known())
}

// Known lists the <name>_field= arguments.
func Known() string {
	var out []string
	for f := range NumFields {
		out = append(out, names[f].arg+"_field")
	}
	return strings.Join(out, ", ")
}
