package qa

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// People and their speeches. The sources name people by office and name
// (街道党工委书记、人大工委主任施永根提出了…, 市委书记李强提出的…), and
// residents call them by office alone or by surname and office (书记,
// 施书记, 李书记, 市委书记). A speech goes on after its first sentence
// (施永根…他说，一是…。充分发挥…。二是…): those sentences never repeat
// the name, yet 「施书记讲的第三条」 and 「施永根说要营造什么氛围」 are
// about them. When the index is built, each person found in the sources
// gets the ways residents may call them, and each sentence of a speech
// its speaker, whose names then match as if the sentence had them.

// person is someone the sources name with an office.
type person struct {
	name    string
	aliases []string // normalized: the name, offices, surname + office, …
	toks    []uint64 // sorted passage tokens of the aliases
}

var (
	// officeRe is an office as the sources write it before a name: the
	// bodies (街道, 党工委, 市委…) and the post (书记, 主任…).
	officeRe = `(?:市委|区委|街道|党工委|人大工委|人大|政协|区政府|市政府|办事处|居委会|党委|党支部|总支)*副?(?:书记|主任|区长|市长|主席|部长|镇长|局长|委员)`
	// personRe is one or more offices, then a name of two or three
	// characters, then what the person did (提出, 说, 对…, 强调).
	personRe  = regexp.MustCompile(`((?:` + officeRe + `、?)+)(\p{Han}{2,3}?)(提出|指出|强调|要求|表示|讲话|说|对|在)`)
	officeOne = regexp.MustCompile(officeRe)
	// speechRe: the sentence opens a speech that goes on (提出了, 说，
	// 指出：); 提出的 only qualifies a word of this sentence.
	speechRe = regexp.MustCompile(`(提出了|指出|强调|说[，：,:]|谈了|讲了|表示|要求[，：,:])`)
)

// officeWords are the posts an alias may be made of.
var officeWords = []string{"书记", "主任", "区长", "市长", "主席", "部长", "镇长", "局长", "委员"}

// findPeople finds the people of the sources and the speaker of each
// sentence: a sentence that names a person and a speech verb after the
// name is theirs, and so is every later sentence of the same paragraph
// unless another person speaks.
func (ix *passageIndex) findPeople() {
	byName := map[string]int{}
	for i := range ix.sents {
		for _, m := range personRe.FindAllStringSubmatch(ix.sents[i].text, -1) {
			name := m[2]
			if _, ok := byName[name]; !ok {
				byName[name] = len(ix.people)
				ix.people = append(ix.people, person{name: name})
			}
			p := &ix.people[byName[name]]
			p.addAliases(strings.Split(strings.TrimRight(m[1], "、"), "、"))
		}
	}
	personal := map[string]string{}
	taken := map[string]bool{}
	for _, p := range ix.people {
		for _, a := range p.aliases {
			// 施书记, 李书记, 施永根书记: a name or surname with a post
			// means one person, unless two share it.
			if a == p.name || !strings.HasPrefix(a, string([]rune(p.name)[:1])) {
				continue
			}
			if _, dup := personal[a]; dup || taken[a] {
				delete(personal, a)
				taken[a] = true
				continue
			}
			personal[a] = p.name
		}
	}
	ix.personal = newPhraseTable(personal)
	for i := range ix.people {
		p := &ix.people[i]
		for _, a := range p.aliases {
			p.toks = appendPassageTokens(p.toks, a)
		}
		// Our places are in half the sentences; as a speaker's word
		// (街道书记) they would make him the speaker of every question.
		p.toks = slices.DeleteFunc(p.toks, func(k uint64) bool { return placeChars[k] || k&(1<<62) != 0 && placeSounds[k] })
		slices.Sort(p.toks)
		p.toks = slices.Compact(p.toks)
	}
	for i := range ix.sents {
		ix.sents[i].speaker = -1
	}
	if len(ix.people) == 0 {
		return
	}
	ix.spkPost = map[uint64][]int32{}
	cur, para := int32(-1), int32(-1)
	for i := range ix.sents {
		ps := &ix.sents[i]
		if ps.para != para || i > 0 && ix.sents[i-1].src != ps.src {
			cur, para = -1, ps.para
		}
		if who, opens := ix.speakerOf(ps.text, byName); who >= 0 {
			ps.speaker = who
			if opens {
				cur = who
			} else {
				cur = -1
			}
		} else {
			ps.speaker = cur
		}
		if ps.speaker >= 0 {
			for _, k := range ix.people[ps.speaker].toks {
				ix.spkPost[k] = append(ix.spkPost[k], int32(i))
			}
		}
	}
}

// speakerOf returns the person text names before a speech verb, and
// whether the speech goes on into the next sentences (-1 if none).
func (ix *passageIndex) speakerOf(text string, byName map[string]int) (int32, bool) {
	best, at := int32(-1), len(text)
	for name, i := range byName {
		if k := strings.Index(text, name); k >= 0 && k < at {
			rest := text[k+len(name):]
			if loc := speechRe.FindStringIndex(rest); loc != nil || strings.HasPrefix(rest, "提出的") {
				best, at = int32(i), k
			}
		}
	}
	if best < 0 {
		return -1, false
	}
	// The speech goes on only when it opens right after the name (提出了,
	// 对…抛砖引玉，他说，): 李强提出的“…”的要求，… only qualifies a word.
	rest := text[at+len(ix.people[best].name):]
	if strings.HasPrefix(rest, "提出的") {
		return best, false
	}
	if i := nthIndex(rest, "，", 2); i >= 0 {
		rest = rest[:i+len("，")]
	}
	return best, speechRe.MatchString(rest)
}

// nthIndex returns the byte offset of the n-th occurrence of sep in s, or -1.
func nthIndex(s, sep string, n int) int {
	at := 0
	for ; n > 0; n-- {
		i := strings.Index(s[at:], sep)
		if i < 0 {
			return -1
		}
		at += i
		if n > 1 {
			at += len(sep)
		}
	}
	return at
}

// addAliases adds the ways of calling p made of its offices: the name,
// each office (街道党工委书记) and the office without its place words
// (党工委书记), the post alone (书记), place + post (街道书记), name +
// post (施永根书记) and surname + post (施书记).
func (p *person) addAliases(offices []string) {
	add := func(a string) {
		if a = Normalize(a); utf8.RuneCountInString(a) >= 2 && !slices.Contains(p.aliases, a) {
			p.aliases = append(p.aliases, a)
		}
	}
	add(p.name)
	surname := string([]rune(p.name)[:1])
	for _, o := range offices {
		if !officeOne.MatchString(o) {
			continue
		}
		add(o)
		if t := strings.TrimPrefix(o, "街道"); t != o {
			add(t)
		}
		for _, w := range officeWords {
			if strings.HasSuffix(o, w) {
				add(w)
				add(p.name + w)
				add(surname + w)
				if strings.HasPrefix(o, "街道") {
					add("街道" + w)
				}
			}
		}
	}
}

// placeSounds are the pronunciation keys of placeChars.
var placeSounds = func() map[uint64]bool {
	m := map[uint64]bool{}
	for k := range placeChars {
		for _, s := range appendSoundKeys(nil, rune(k>>32), rune(k&0xFFFFFFFF)) {
			m[s] = true
		}
	}
	return m
}()

// speakerMatch reports whether sentence s is spoken by a person one of
// whose names has question token t.
func (ix *passageIndex) speakerMatch(s int32, t qtoken) bool {
	sp := ix.sents[s].speaker
	return sp >= 0 && hasToken(ix.people[sp].toks, t)
}

// speakerIntro returns, for a sentence of a speech that does not name its
// speaker (充分发挥党建引领作用…), the opening of the sentence that does, up
// to the clause with the name (施永根对“比学赶超”活动的内涵及其目标抛砖引
// 玉……): a who-question is answered with the person, in the source's words.
func (ix *passageIndex) speakerIntro(s int32, quoted string) (string, bool) {
	sp := ix.sents[s].speaker
	if sp < 0 {
		return "", false
	}
	name := ix.people[sp].name
	if strings.Contains(quoted, name) {
		return "", false
	}
	for o := s; o >= 0 && ix.sents[o].src == ix.sents[s].src && ix.sents[o].para == ix.sents[s].para; o-- {
		ps := ix.sents[o]
		i := strings.Index(ps.text, name)
		if i < 0 {
			continue
		}
		for ci, c := range ps.clauses {
			if c[1] > i {
				if o == s {
					return ix.span(o, 0, ci), true
				}
				return strings.TrimSuffix(ix.span(o, 0, ci), "……") + "……", true
			}
		}
	}
	return "", false
}

// namedPerson returns the name of a person the text names, or whom
// sentence s is spoken by, "" if none.
func (ix *passageIndex) namedPerson(s int32, text string) string {
	for _, p := range ix.people {
		if strings.Contains(text, p.name) {
			return p.name
		}
	}
	if sp := ix.sents[s].speaker; sp >= 0 {
		return ix.people[sp].name
	}
	return ""
}

// namesOther reports whether the quote from sentence s names (or is
// spoken by) a person the entry's answer does not name: the answer to
// 「Who said 一是推动党建引领…」 is the speaker, whom a topic about the
// point itself may leave out.
func (ix *passageIndex) namesOther(s int32, quoted, answer string) bool {
	name := ix.namedPerson(s, quoted)
	return name != "" && strings.Contains(quoted, name) && !strings.Contains(answer, name)
}

// foldPeople rewrites the personal aliases of people in a folded question
// into their names: 李书记提的要求 → 李强提的要求, 施主任 → 施永根, as the
// sources write them.
func (ix *passageIndex) foldPeople(s string) string { return ix.personal.replace(s) }
