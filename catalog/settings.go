package catalog

import "strings"

// settingDef is a configuration parameter pg_settings lists and
// current_setting knows without asking the session.
type settingDef struct {
	name     string // canonical spelling (pg_settings.name)
	value    string // default when Info.Settings does not know it
	unit     string
	category string
	context  string
	vartype  string
}

// knownSettings are the parameters pg_settings shows. Info.Settings is a
// function, so it cannot be enumerated; Refresh asks it for each of these.
var knownSettings = []settingDef{
	{"application_name", "", "", "Reporting and Logging / What to Log", "user", "string"},
	{"block_size", "8192", "", "Preset Options", "internal", "integer"},
	{"bytea_output", "hex", "", "Client Connection Defaults / Statement Behavior", "user", "enum"},
	{"client_encoding", "UTF8", "", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	{"client_min_messages", "notice", "", "Client Connection Defaults / Statement Behavior", "user", "enum"},
	{"DateStyle", "ISO, MDY", "", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	{"default_transaction_isolation", "read committed", "", "Client Connection Defaults / Statement Behavior", "user", "enum"},
	{"default_transaction_read_only", "off", "", "Client Connection Defaults / Statement Behavior", "user", "bool"},
	{"extra_float_digits", "1", "", "Client Connection Defaults / Locale and Formatting", "user", "integer"},
	{"idle_in_transaction_session_timeout", "0", "ms", "Client Connection Defaults / Statement Behavior", "user", "integer"},
	{"in_hot_standby", "off", "", "Preset Options", "internal", "bool"},
	{"integer_datetimes", "on", "", "Preset Options", "internal", "bool"},
	{"IntervalStyle", "postgres", "", "Client Connection Defaults / Locale and Formatting", "user", "enum"},
	{"is_superuser", "on", "", "Preset Options", "internal", "bool"},
	{"lc_collate", "C.UTF-8", "", "Preset Options", "internal", "string"},
	{"lc_ctype", "C.UTF-8", "", "Preset Options", "internal", "string"},
	{"lc_messages", "C.UTF-8", "", "Client Connection Defaults / Locale and Formatting", "superuser", "string"},
	{"lc_monetary", "C.UTF-8", "", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	{"lc_numeric", "C.UTF-8", "", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	{"lc_time", "C.UTF-8", "", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	{"lock_timeout", "0", "ms", "Client Connection Defaults / Statement Behavior", "user", "integer"},
	{"max_connections", "100", "", "Connections and Authentication / Connection Settings", "postmaster", "integer"},
	{"max_identifier_length", "63", "", "Preset Options", "internal", "integer"},
	{"search_path", `"$user", public`, "", "Client Connection Defaults / Statement Behavior", "user", "string"},
	{"server_encoding", "UTF8", "", "Preset Options", "internal", "string"},
	{"server_version", "15.0", "", "Preset Options", "internal", "string"},
	{"server_version_num", "150000", "", "Preset Options", "internal", "integer"},
	{"session_authorization", "", "", "Preset Options", "user", "string"},
	{"standard_conforming_strings", "on", "", "Version and Platform Compatibility / Previous PostgreSQL Versions", "user", "bool"},
	{"statement_timeout", "0", "ms", "Client Connection Defaults / Statement Behavior", "user", "integer"},
	{"TimeZone", "UTC", "", "Client Connection Defaults / Locale and Formatting", "user", "string"},
	{"transaction_isolation", "read committed", "", "Client Connection Defaults / Statement Behavior", "user", "string"},
	{"transaction_read_only", "off", "", "Client Connection Defaults / Statement Behavior", "user", "bool"},
}

var settingDefaults = indexSettings()

func indexSettings() map[string]settingDef {
	m := make(map[string]settingDef, len(knownSettings))
	for _, s := range knownSettings {
		m[strings.ToLower(s.name)] = s
	}
	return m
}

// resolveSettings asks info for every known parameter, falling back to the
// defaults; the result is keyed by lower-case name.
func resolveSettings(info Info) map[string]string {
	out := make(map[string]string, len(knownSettings))
	for _, s := range knownSettings {
		v := s.value
		if info.Settings != nil {
			if x, ok := info.Settings(s.name); ok {
				v = x
			} else if x, ok := info.Settings(strings.ToLower(s.name)); ok {
				v = x
			}
		}
		if s.name == "session_authorization" && v == "" {
			v = info.User
		}
		out[strings.ToLower(s.name)] = v
	}
	return out
}
