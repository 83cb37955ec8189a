package audit

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The audit event's JSON, written without reflection: every request
// leaves an event (the trail's line, and an outbox record when it changes
// something), and encoding/json spent ~15 % of a re-key's CPU on it (issue
// 18). The output is byte for byte what json.Marshal(ev) gives — the
// same field order and omissions, map keys sorted, strings escaped the
// same way (HTML characters, U+2028/U+2029, invalid UTF-8 as U+FFFD) —
// which TestAppendJSONMatchesEncodingJSON checks on many events. Values
// of the free-form maps of a type not listed in appendValue go through
// json.Marshal, so any value encodes as before.

// appendJSON appends ev's JSON encoding to b.
func (ev *Event) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"eventVersion":`...)
	b = appendString(b, ev.EventVersion)
	b = append(b, `,"userIdentity":`...)
	b = ev.UserIdentity.appendJSON(b)
	b = append(b, `,"eventTime":`...)
	if b, err = appendTime(b, ev.EventTime); err != nil {
		return nil, err
	}
	b = append(b, `,"eventSource":`...)
	b = appendString(b, ev.EventSource)
	b = append(b, `,"eventName":`...)
	b = appendString(b, ev.EventName)
	b = append(b, `,"awsRegion":`...)
	b = appendString(b, ev.AWSRegion)
	b = appendOptString(b, `,"sourceIPAddress":`, ev.SourceIPAddress)
	b = appendOptString(b, `,"userAgent":`, ev.UserAgent)
	b = appendOptString(b, `,"errorCode":`, ev.ErrorCode)
	b = appendOptString(b, `,"errorMessage":`, ev.ErrorMessage)
	b = append(b, `,"requestParameters":`...)
	if b, err = appendMap(b, ev.RequestParameters); err != nil {
		return nil, err
	}
	b = append(b, `,"responseElements":`...)
	if b, err = appendMap(b, ev.ResponseElements); err != nil {
		return nil, err
	}
	if len(ev.AdditionalEventData) > 0 {
		b = append(b, `,"additionalEventData":`...)
		if b, err = appendMap(b, ev.AdditionalEventData); err != nil {
			return nil, err
		}
	}
	b = appendOptString(b, `,"requestID":`, ev.RequestID)
	b = append(b, `,"eventID":`...)
	b = appendString(b, ev.EventID)
	b = append(b, `,"readOnly":`...)
	b = strconv.AppendBool(b, ev.ReadOnly)
	if len(ev.Resources) > 0 {
		b = append(b, `,"resources":[`...)
		for i, r := range ev.Resources {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"ARN":`...)
			b = appendString(b, r.ARN)
			b = appendOptString(b, `,"accountId":`, r.AccountID)
			b = appendOptString(b, `,"type":`, r.Type)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"eventType":`...)
	b = appendString(b, ev.EventType)
	b = append(b, `,"managementEvent":`...)
	b = strconv.AppendBool(b, ev.ManagementEvent)
	b = appendOptString(b, `,"recipientAccountId":`, ev.RecipientAccountID)
	b = append(b, `,"eventCategory":`...)
	b = appendString(b, ev.EventCategory)
	if t := ev.TLSDetails; t != nil {
		b = append(b, `,"tlsDetails":{"tlsVersion":`...)
		b = appendString(b, t.TLSVersion)
		b = append(b, `,"cipherSuite":`...)
		b = appendString(b, t.CipherSuite)
		b = appendOptString(b, `,"clientProvidedHostHeader":`, t.ClientProvidedHostHeader)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func (u *UserIdentity) appendJSON(b []byte) []byte {
	b = append(b, '{')
	n := len(b)
	for _, f := range [...]struct{ name, v string }{
		{`"type":`, u.Type}, {`"principalId":`, u.PrincipalID}, {`"arn":`, u.ARN}, {`"accountId":`, u.AccountID},
		{`"accessKeyId":`, u.AccessKeyID}, {`"userName":`, u.UserName}, {`"invokedBy":`, u.InvokedBy},
	} {
		if f.v == "" {
			continue
		}
		if len(b) > n {
			b = append(b, ',')
		}
		b = append(b, f.name...)
		b = appendString(b, f.v)
	}
	return append(b, '}')
}

// appendOptString is an omitempty string field: nothing when v is empty.
func appendOptString(b []byte, field, v string) []byte {
	if v == "" {
		return b
	}
	return appendString(append(b, field...), v)
}

// appendTime is time.Time's MarshalJSON (RFC 3339 with nanoseconds).
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); t.Location() == time.UTC && y >= 0 && y <= 9999 {
		b = append(b, '"')
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"'), nil
	}
	j, err := t.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// appendMap is a map[string]any as encoding/json writes it: null when
// nil, keys sorted.
func appendMap(b []byte, m map[string]any) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var err error
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		if b, err = appendValue(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case map[string]any:
		return appendMap(b, v)
	case map[string]string:
		if v == nil {
			return append(b, "null"...), nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(appendString(b, k), ':')
			b = appendString(b, v[k])
		}
		return append(b, '}'), nil
	case []string:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		var err error
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendValue(b, x); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case time.Time:
		return appendTime(b, v)
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

const hexDigits = "0123456789abcdef"

// appendString is a JSON string as encoding/json writes it with HTML
// escaping (its default): <, > and & as \u003c, \u003e, \u0026, U+2028
// and U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
