// Package splunkapp holds the conventions of a Splunk app that every part of
// this project relies on: how .conf files are read and layered, where the
// app folder is from a binary's path, which spellings are booleans, how a
// credential is kept out of logs, and which lookups are the user's own.
// The search commands, the alert action, the package builder, the offline
// checker and the backtest all use it, so a fix reaches them all.
//
// # Configuration files
//
// [Parse] reads Splunk's .conf syntax ("Configuration file structure",
// Splunk Admin Manual): "[stanza]" headers, "key = value" settings (split at
// the first "=", both sides trimmed), lines whose first non-blank character
// is "#" are comments, a line ending in a backslash continues on the next
// (the value keeps the line break), and a UTF-8 byte order mark at the start
// is ignored. Settings before the first header are global: Splunk reads
// them as the [default] stanza (the GLOBAL SETTINGS paragraph of every
// .conf.spec). A key set twice in a stanza keeps its last value, and a
// header repeated in one file continues the same stanza, as Splunk does;
// [File] keeps every occurrence with its line so that a checker can still
// report them ([Stanza.Duplicates], [Stanza.Reopened]). A line that is none
// of these is a syntax problem ([ErrSyntax]) naming its file and line.
//
// [Merge] layers files as Splunk's configuration file precedence does
// within an app (Splunk Admin Manual, "Configuration file precedence",
// https://help.splunk.com/data-management/splunk-enterprise-admin-manual/9.1/administer-splunk-enterprise-with-configuration-files/configuration-file-precedence):
// the copies are merged stanza by stanza and key by key, and where two
// copies set the same key the one with the higher priority wins: local/
// over default/ ([ReadApp]), $SPLUNK_HOME/etc/system/local over both for
// settings read in the global context. A key only the lower layer sets is
// kept. Whether [default] settings apply to every other stanza depends on
// the conf type's .spec file, so [Conf.Value] does that on request and
// [Conf.Stanza] does not.
//
// # The app folder
//
// splunkd runs a chunked search command or an alert action from
// <app>/<platform>/bin/<name> or <app>/bin/<name> (commands.conf.spec,
// alert_actions.conf.spec): [FindAppDir] walks up from the executable to
// the folder whose default/ holds the named .conf file.
//
// # The user's own lookups
//
// An app upgrade replaces the files the package ships, lookups included;
// a search head cluster's deployer, or Splunk Cloud, may instead keep the
// old copies of shipped lookups. Either way a lookup the user tunes cannot
// be a file the package ships. [LocalLookup] names the file beside a
// shipped lookup that holds the user's rows ("t1102_allowlist.csv" →
// "t1102_allowlist_local.csv"): the package never ships it, so no upgrade
// touches it, and the shipped file stays the app's to replace.
package splunkapp
