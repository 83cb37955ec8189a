package policy

import (
	"strings"
	"unicode/utf8"
)

// A pattern is a compiled Action, Resource or condition value: literal
// text, the wildcards * and ? (where the element allows them) and policy
// variables such as ${aws:username} (where the document's Version allows
// them). Compiling once at Parse keeps Decide free of string scanning.
type pattern struct {
	kind  patKind
	lit   string // patExact: the whole text; patPrefix: the text before '*'
	parts []part // patGeneral
}

type patKind uint8

const (
	patExact   patKind = iota // no wildcard, no variable
	patAny                    // "*"
	patPrefix                 // "literal*"
	patGeneral                // anything else, including every pattern with a variable
)

type part struct {
	op     partOp
	s      string // opLit: the text; opVar: the lower-cased context key
	def    string // opVar: the default after ", '...'"
	hasDef bool
}

type partOp uint8

const (
	opLit  partOp = iota
	opStar        // any run of characters, including none
	opOne         // exactly one character
	opVar         // a policy variable, resolved from the request context
)

// compilePattern compiles text. wild says whether * and ? are wildcards
// (Action, Resource, StringLike, ArnLike) or ordinary characters
// (StringEquals); vars says whether ${...} is a policy variable (Version
// 2012-10-17 only). The escapes ${*}, ${?} and ${$} always stand for the
// literal character, so a policy can match a real asterisk.
func compilePattern(text string, wild, vars bool) pattern {
	var parts []part
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, part{op: opLit, s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if vars && c == '$' && i+1 < len(text) && text[i+1] == '{' {
			if end := strings.IndexByte(text[i+2:], '}'); end >= 0 {
				body := text[i+2 : i+2+end]
				i += end + 3
				switch body {
				case "*", "?", "$":
					lit.WriteString(body)
				default:
					flush()
					parts = append(parts, variablePart(body))
				}
				continue
			}
		}
		if wild && (c == '*' || c == '?') {
			flush()
			if c == '?' {
				parts = append(parts, part{op: opOne})
			} else if len(parts) == 0 || parts[len(parts)-1].op != opStar {
				parts = append(parts, part{op: opStar})
			}
			i++
			continue
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	return classify(parts)
}

// variablePart parses the inside of ${...}: a key, optionally followed by a
// default value in single quotes, as in ${aws:username, 'nobody'}.
func variablePart(body string) part {
	key, def, hasDef := body, "", false
	if comma := strings.IndexByte(body, ','); comma >= 0 {
		rest := strings.TrimSpace(body[comma+1:])
		if len(rest) >= 2 && rest[0] == '\'' && rest[len(rest)-1] == '\'' {
			key, def, hasDef = body[:comma], rest[1:len(rest)-1], true
		}
	}
	return part{op: opVar, s: strings.ToLower(strings.TrimSpace(key)), def: def, hasDef: hasDef}
}

func classify(parts []part) pattern {
	switch {
	case len(parts) == 0:
		return pattern{kind: patExact}
	case len(parts) == 1 && parts[0].op == opLit:
		return pattern{kind: patExact, lit: parts[0].s}
	case len(parts) == 1 && parts[0].op == opStar:
		return pattern{kind: patAny}
	case len(parts) == 2 && parts[0].op == opLit && parts[1].op == opStar:
		return pattern{kind: patPrefix, lit: parts[0].s}
	}
	return pattern{kind: patGeneral, parts: parts}
}

// match reports whether s matches p. fold makes literal text compare
// case-insensitively (actions, the IgnoreCase operators). Variables are
// looked up through e; a variable with no value and no default makes the
// pattern match nothing, as AWS does.
func (p *pattern) match(s string, fold bool, e *env) bool {
	switch p.kind {
	case patAny:
		return true
	case patExact:
		return equal(s, p.lit, fold)
	case patPrefix:
		return len(s) >= len(p.lit) && equal(s[:len(p.lit)], p.lit, fold)
	}
	parts := p.parts
	for i := range parts {
		if parts[i].op == opVar {
			resolved, ok := resolve(parts, e)
			if !ok {
				return false
			}
			parts = resolved
			break
		}
	}
	return glob(parts, s, fold)
}

// hasVariable says p has a policy variable, resolved from the request
// context when it is matched.
func (p *pattern) hasVariable() bool {
	for i := range p.parts {
		if p.parts[i].op == opVar {
			return true
		}
	}
	return false
}

// resolve replaces every variable in parts by its (literal) value.
func resolve(parts []part, e *env) ([]part, bool) {
	out := make([]part, len(parts))
	for i, pt := range parts {
		if pt.op != opVar {
			out[i] = pt
			continue
		}
		v, ok := e.variable(pt.s)
		if !ok {
			if !pt.hasDef {
				return nil, false
			}
			v = pt.def
		}
		out[i] = part{op: opLit, s: v}
	}
	return out, true
}

// glob matches s against literal runs and wildcards. On a mismatch it
// backtracks only to the most recent *, which is enough for patterns whose
// only variable-length element is * and keeps matching linear in practice
// (quadratic at worst), so hostile patterns cannot blow up.
func glob(parts []part, s string, fold bool) bool {
	pi, si := 0, 0
	starPi, starSi := -1, 0
	for {
		if pi < len(parts) {
			pt := &parts[pi]
			switch pt.op {
			case opStar:
				starPi, starSi = pi, si
				pi++
				continue
			case opOne:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					pi++
					continue
				}
			case opLit:
				if len(s)-si >= len(pt.s) && equal(s[si:si+len(pt.s)], pt.s, fold) {
					si += len(pt.s)
					pi++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starPi < 0 || starSi >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		pi, si = starPi+1, starSi
	}
}

func equal(a, b string, fold bool) bool {
	if fold {
		return strings.EqualFold(a, b)
	}
	return a == b
}

// arnPattern is an ArnLike/ArnEquals value: AWS compares each of the six
// colon-separated ARN components on its own, so a wildcard never crosses a
// colon. A value with fewer than six components is not an ARN and is
// matched as a whole.
type arnPattern struct {
	whole pattern
	comps []pattern // 6 entries, or nil
}

func compileARNPattern(text string, vars bool) arnPattern {
	comps := splitARN(text, vars)
	if len(comps) < 6 {
		return arnPattern{whole: compilePattern(text, true, vars)}
	}
	ap := arnPattern{comps: make([]pattern, 6)}
	for i, c := range comps {
		ap.comps[i] = compilePattern(c, true, vars)
	}
	return ap
}

func (ap *arnPattern) match(s string, e *env) bool {
	if ap.comps == nil {
		return ap.whole.match(s, false, e)
	}
	var comps [6]string
	n := 0
	for n < 5 {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			return false
		}
		comps[n], s = s[:i], s[i+1:]
		n++
	}
	comps[5] = s
	for i := range comps {
		if !ap.comps[i].match(comps[i], false, e) {
			return false
		}
	}
	return true
}

// splitARN splits text at the first five colons that are not inside a
// policy variable, so ${aws:username} stays in one piece.
func splitARN(text string, vars bool) []string {
	var out []string
	start, depth := 0, false
	for i := 0; i < len(text) && len(out) < 5; i++ {
		switch {
		case vars && !depth && text[i] == '$' && i+1 < len(text) && text[i+1] == '{' && strings.IndexByte(text[i:], '}') > 0:
			depth = true
		case depth && text[i] == '}':
			depth = false
		case !depth && text[i] == ':':
			out = append(out, text[start:i])
			start = i + 1
		}
	}
	return append(out, text[start:])
}
